import type { KubeConfig } from '@kubernetes/client-node';
import { loadKubernetesClient } from './kubeConfig';
import { KubernetesApiError, toKubernetesApiError } from './errors';

/** Any Kubernetes object, as plain JSON. */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    deletionTimestamp?: string;
    [key: string]: unknown;
  };
  [key: string]: any;
};

/** Identifies one object: what the log and the errors show. */
export type ObjectRef = {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
};

/** `Kind namespace/name` (or `Kind name` when cluster-scoped). */
export function formatRef(ref: ObjectRef | KubeObject): string {
  const r = 'metadata' in ref ? refOf(ref) : ref;
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

export function refOf(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    ...(object.metadata.namespace
      ? { namespace: object.metadata.namespace }
      : {}),
  };
}

/** What discovery says about a kind. */
export type ResourceInfo = { name: string; namespaced: boolean };

/**
 * Reads and writes objects of any kind as plain JSON through
 * `@kubernetes/client-node` (its auth, TLS and discovery), without its model
 * serializer: that serializer drops every field its generated models do not
 * know, which silently breaks CRDs (`x-kubernetes-*` extensions) and any
 * field newer than the models (kubernetes-client/javascript#2962).
 */
export interface KubernetesObjectClient {
  /** Server-side apply with one field manager; `dryRun` persists nothing. */
  apply(
    object: KubeObject,
    options: { fieldManager: string; dryRun?: boolean; force?: boolean },
  ): Promise<KubeObject>;
  /** Creates an object (POST), e.g. a SelfSubjectAccessReview. */
  create(
    object: KubeObject,
    options?: { dryRun?: boolean },
  ): Promise<KubeObject>;
  /** The live object, or undefined if it does not exist. */
  read(ref: ObjectRef): Promise<KubeObject | undefined>;
  list(
    apiVersion: string,
    kind: string,
    options?: {
      namespace?: string;
      labelSelector?: string;
      fieldSelector?: string;
    },
  ): Promise<KubeObject[]>;
  /**
   * Deletes an object (background propagation); with `uid`, only that
   * incarnation. Returns false if it was already gone.
   */
  delete(ref: ObjectRef, options?: { uid?: string }): Promise<boolean>;
  /** Discovery: undefined when the cluster does not serve the kind (yet). */
  resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined>;
  /** GET of a raw API path (e.g. `/version`), parsed as JSON. */
  get<T = unknown>(path: string): Promise<T>;
}

/** Builds a {@link KubernetesObjectClient} for the cluster of a KubeConfig. */
export async function createKubernetesObjectClient(
  kubeConfig: KubeConfig,
): Promise<KubernetesObjectClient> {
  const k8s = await loadKubernetesClient();

  // The base class's request plumbing (auth, TLS, middleware) is protected;
  // a subclass reuses it and sends and returns objects untouched.
  class RawObjectApi extends k8s.KubernetesObjectApi {
    async send(
      method: (typeof k8s.HttpMethod)[keyof typeof k8s.HttpMethod],
      path: string,
      options: {
        query?: Record<string, string>;
        body?: unknown;
        contentType?: string;
      } = {},
    ): Promise<any> {
      const request = this.configuration.baseServer.makeRequestContext(
        path,
        method,
      );
      request.setHeaderParam('Accept', 'application/json');
      for (const [key, value] of Object.entries(options.query ?? {})) {
        request.setQueryParam(key, value);
      }
      if (options.body !== undefined) {
        request.setHeaderParam(
          'Content-Type',
          options.contentType ?? 'application/json',
        );
        request.setBody(JSON.stringify(options.body));
      }
      // 'any' keeps the response as the server sent it (only metadata is
      // typed by the library, which keeps every field).
      return this.requestPromise(request, 'any');
    }

    async pathOf(ref: ObjectRef, withName = true): Promise<string> {
      const info = await this.resourceOrThrow(ref.apiVersion, ref.kind);
      const parts = [
        ref.apiVersion.includes('/') ? '/apis' : '/api',
        ref.apiVersion,
      ];
      if (info.namespaced) {
        if (!ref.namespace) {
          throw new Error(
            `${ref.kind} ${ref.name} is namespaced but has no namespace`,
          );
        }
        parts.push('namespaces', encodeURIComponent(ref.namespace));
      }
      parts.push(info.name);
      if (withName) parts.push(encodeURIComponent(ref.name));
      return parts.join('/');
    }

    async resourceOrThrow(
      apiVersion: string,
      kind: string,
    ): Promise<ResourceInfo> {
      const info = await this.discover(apiVersion, kind);
      if (!info) {
        throw new KubernetesApiError({
          code: 404,
          reason: 'NotFound',
          message: `the cluster does not serve ${kind} in ${apiVersion} (is its CRD installed?)`,
        });
      }
      return info;
    }

    async discover(
      apiVersion: string,
      kind: string,
    ): Promise<ResourceInfo | undefined> {
      try {
        const resource = await this.resource(apiVersion, kind);
        return resource
          ? { name: resource.name, namespaced: resource.namespaced }
          : undefined;
      } catch (error) {
        // A group/version that is not served at all answers 404.
        if ((error as { code?: number }).code === 404) return undefined;
        throw toKubernetesApiError(error);
      }
    }

    async call<T>(fn: () => Promise<T>): Promise<T> {
      try {
        return await fn();
      } catch (error) {
        throw toKubernetesApiError(error);
      }
    }
  }

  const api = kubeConfig.makeApiClient(RawObjectApi);

  return {
    async apply(object, { fieldManager, dryRun, force }) {
      const path = await api.pathOf(refOf(object));
      return api.call(() =>
        api.send(k8s.HttpMethod.PATCH, path, {
          query: {
            fieldManager,
            ...(force ? { force: 'true' } : {}),
            ...(dryRun ? { dryRun: 'All' } : {}),
          },
          body: object,
          contentType: k8s.PatchStrategy.ServerSideApply,
        }),
      );
    },

    async create(object, options = {}) {
      const path = await api.pathOf(refOf(object), false);
      return api.call(() =>
        api.send(k8s.HttpMethod.POST, path, {
          query: options.dryRun ? { dryRun: 'All' } : {},
          body: object,
        }),
      );
    },

    async read(ref) {
      const path = await api.pathOf(ref);
      try {
        return await api.call(() => api.send(k8s.HttpMethod.GET, path));
      } catch (error) {
        if ((error as KubernetesApiError).code === 404) return undefined;
        throw error;
      }
    },

    async list(apiVersion, kind, options = {}) {
      const info = await api.resourceOrThrow(apiVersion, kind);
      const parts = [apiVersion.includes('/') ? '/apis' : '/api', apiVersion];
      if (info.namespaced && options.namespace) {
        parts.push('namespaces', encodeURIComponent(options.namespace));
      }
      parts.push(info.name);
      const query: Record<string, string> = {};
      if (options.labelSelector) query.labelSelector = options.labelSelector;
      if (options.fieldSelector) query.fieldSelector = options.fieldSelector;
      const list = await api.call(() =>
        api.send(k8s.HttpMethod.GET, parts.join('/'), { query }),
      );
      // Items of a list carry no apiVersion/kind of their own.
      return ((list?.items ?? []) as KubeObject[]).map(item => ({
        ...item,
        apiVersion,
        kind,
      }));
    },

    async delete(ref, options = {}) {
      const path = await api.pathOf(ref);
      try {
        await api.call(() =>
          api.send(k8s.HttpMethod.DELETE, path, {
            body: {
              apiVersion: 'v1',
              kind: 'DeleteOptions',
              propagationPolicy: 'Background',
              ...(options.uid ? { preconditions: { uid: options.uid } } : {}),
            },
          }),
        );
        return true;
      } catch (error) {
        if ((error as KubernetesApiError).code === 404) return false;
        throw error;
      }
    },

    resource: (apiVersion, kind) => api.discover(apiVersion, kind),

    get: path => api.call(() => api.send(k8s.HttpMethod.GET, path)),
  };
}
