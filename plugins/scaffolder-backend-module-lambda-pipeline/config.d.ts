export interface Config {
  /**
   * Settings of the Lambda pipelines plugins; all of it stays in the backend.
   * The only secret is `kubernetes.cluster.serviceAccountToken`.
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
    /**
     * Kubernetes: where `lambda:kubernetes:preflight` checks and
     * `lambda:kubernetes:deploy` applies the platform manifests. Nothing here
     * comes from the template form.
     */
    kubernetes?: {
      /**
       * The cluster pipelines are deployed to. Without it, the preflight and
       * deploy steps are skipped with instructions to deploy by hand.
       * Credentials come either from a kubeconfig file (`kubeconfigPath`,
       * optionally `context`) or from `url` + `serviceAccountToken`.
       */
      cluster?: {
        /** Name shown in logs and messages, e.g. the kind context `kind-lambda`. */
        name: string;
        /**
         * Path of a kubeconfig file; relative paths resolve against the
         * backend's working directory.
         */
        kubeconfigPath?: string;
        /** Context of the kubeconfig to use (default: its current context). */
        context?: string;
        /** URL of the cluster's API server, e.g. `https://127.0.0.1:6443`. */
        url?: string;
        /**
         * Bearer token (e.g. of a ServiceAccount) used with `url`.
         * @visibility secret
         */
        serviceAccountToken?: string;
        /** CA certificate file of the API server, used with `url`. */
        caFile?: string;
        /** Skip TLS verification of the API server (local clusters only). */
        skipTLSVerify?: boolean;
        /**
         * host[:port] of the local image registry the cluster pulls from
         * (e.g. `localhost:5001`). Default: what the cluster's
         * `kube-public/local-registry-hosting` ConfigMap says (kind's convention).
         */
        registry?: string;
      };
      /**
       * The kustomize binary that builds overlays before they are applied.
       * Default: `kustomize` on PATH.
       */
      kustomizeCommand?: string;
      /** How the deploy applies and waits. */
      deploy?: {
        /** Field manager of every server-side apply. Default: `lambda-pipelines`. */
        fieldManager?: string;
        /** How long one object may take to become ready, in seconds. Default: 900. */
        waitTimeoutSeconds?: number;
        /**
         * Per-kind overrides of `waitTimeoutSeconds`, e.g. `{ KafkaConnect: 1800 }`
         * (the default: its image is built first).
         */
        waitTimeoutSecondsByKind?: { [kind: string]: number };
        /** How often progress is logged while waiting, in seconds. Default: 5. */
        progressIntervalSeconds?: number;
      };
    };
  };
}
