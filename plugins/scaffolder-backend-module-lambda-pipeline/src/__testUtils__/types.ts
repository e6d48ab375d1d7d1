/** One file of a rendered workspace; `path` is relative and uses '/'. */
export type RenderedFile = {
  path: string;
  content: string;
};
