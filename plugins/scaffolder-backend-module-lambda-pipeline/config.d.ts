export interface Config {
  /**
   * Settings of the Lambda pipelines plugins. Nothing here is secret; all of
   * it stays in the backend.
   */
  lambdaPipelines?: {
    /** Where the scaffolder publishes the repositories of a new pipeline. */
    publish?: {
      /**
       * Publishing to local bare Git repositories (`lambda:publish:local`), for
       * machines without a Git host.
       */
      local?: {
        /**
         * Directory of the bare repositories (`<repoName>.git`) and of their
         * working checkouts (`checkouts/<repoName>`) that the catalog reads.
         * A relative path resolves against the backend's working directory
         * (`packages/backend` with `yarn start`).
         */
        directory: string;
        /**
         * Author name of the initial commits. Default: `Lambda pipelines`.
         */
        authorName?: string;
        /**
         * Author email of the initial commits.
         * Default: `scaffolder@lambda-pipelines.local`.
         */
        authorEmail?: string;
      };
    };
    /** Kubernetes deployment (`lambda:kubernetes:deploy`). */
    kubernetes?: {
      /**
       * The cluster pipelines are deployed to. Without it the deploy step is
       * skipped with instructions to deploy by hand. Applying manifests from
       * Backstage is not available yet: with a cluster set, the deploy step
       * fails and says how to deploy by hand.
       */
      cluster?: {
        /**
         * Name of the cluster, e.g. the kubeconfig context `kind-lambda`.
         */
        name: string;
        /**
         * URL of the cluster's API server.
         */
        url?: string;
      };
    };
  };
}
