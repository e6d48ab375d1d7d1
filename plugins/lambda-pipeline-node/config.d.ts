export interface Config {
  lambdaPipelines?: {
    /**
     * The environments pipelines run in, by name: a pipeline is monitored in
     * the one its spec names (`spec.environment.name`). Each system is
     * optional; what is not configured is reported as not monitored.
     */
    environments?: {
      [name: string]: {
        /** The source database: change rates and the replication slot. */
        postgres?: {
          host: string;
          /** Default 5432. */
          port?: number;
          database: string;
          /** A role that may read pg_stat_user_tables and pg_replication_slots. Default `postgres`. */
          user?: string;
          /** @visibility secret */
          password?: string;
          ssl?: boolean;
        };
        kafka?: {
          /** host:port of one or more brokers. */
          brokers: string[];
          clientId?: string;
          ssl?: boolean;
          /** PEM file of the CA that signed the brokers' certificates (turns ssl on). */
          caFile?: string;
          sasl?: {
            /** plain, scram-sha-256 or scram-sha-512 */
            mechanism: string;
            username: string;
            /** @visibility secret */
            password: string;
          };
        };
        /** Kafka Connect's REST API. */
        connect?: {
          url: string;
          username?: string;
          /** @visibility secret */
          password?: string;
        };
        /** ClickHouse's HTTP interface (read-only queries). */
        clickhouse?: {
          url: string;
          /** Default `default`. */
          username?: string;
          /** @visibility secret */
          password?: string;
        };
        snowflake?: {
          account: string;
          username: string;
          /** Key-pair auth (recommended): a PKCS#8 PEM private key. @visibility secret */
          privateKey?: string;
          /** @visibility secret */
          privateKeyPassphrase?: string;
          /** Or password auth. @visibility secret */
          password?: string;
          warehouse: string;
          database: string;
          schema: string;
          role?: string;
          /** Full URL of the account (private link, or the local emulator). */
          accessUrl?: string;
        };
        /** The cluster the pipeline runs in: operator status and pods. */
        kubernetes?: {
          /** Name shown in messages. Default: the environment's name. */
          name?: string;
          kubeconfigPath?: string;
          context?: string;
          url?: string;
          /** @visibility secret */
          serviceAccountToken?: string;
          caFile?: string;
          skipTLSVerify?: boolean;
        };
        /** Airflow's API server (Airflow 3, /api/v2); a viewer account is enough. */
        airflow?: {
          url: string;
          username: string;
          /** @visibility secret */
          password: string;
        };
        /**
         * Web consoles linked from the pipeline tab (what people open in a
         * browser). `airflow` defaults to `airflow.url`.
         */
        consoles?: {
          airflow?: string;
          sparkUi?: string;
          grafana?: string;
        };
        /**
         * The Iceberg catalog of the lake, for the catalog module's inventory
         * of Iceberg tables.
         */
        iceberg?: {
          /** A JDBC catalog: the PostgreSQL database holding its `iceberg_tables` table. */
          catalog: {
            type: 'jdbc';
            host: string;
            /** Default 5432. */
            port?: number;
            database: string;
            /** Default `postgres`; needs SELECT on iceberg_tables only. */
            user?: string;
            /** @visibility secret */
            password?: string;
            ssl?: boolean;
            /** Only tables of this catalog (`catalog_name`); default all. */
            name?: string;
          };
          /**
           * Where the tables' metadata files live. Without it only table
           * names are listed (no columns, row counts or sizes).
           */
          s3?: {
            /** Default us-east-1. */
            region?: string;
            /** An S3-compatible endpoint (MinIO, moto); default AWS. */
            endpoint?: string;
            /** Default: the AWS SDK's credential chain. */
            accessKeyId?: string;
            /** @visibility secret */
            secretAccessKey?: string;
            /** Path-style URLs; default true when an endpoint is set. */
            forcePathStyle?: boolean;
          };
        };
      };
    };
    monitoring?: {
      /** Timeout of one probe call in milliseconds (default 5000). */
      probeTimeoutMs?: number;
    };
  };
}
