{%- set p = values.plan %}{% set sf = p.spec.spec.snowflake %}
-- Snowflake objects of the ${{ p.spec.metadata.name }} pipeline. Run once as a role with
-- SECURITYADMIN and SYSADMIN privileges (for example in a worksheet), then give
-- the service user its public key:
--   ALTER USER ${{ sf.user }} SET RSA_PUBLIC_KEY = '<contents of rsa_key.pub without the PEM header lines>';
-- The private key goes into the Kubernetes Secret ${{ p.spec.spec.secrets.snowflake }} (key private-key), never here.

USE ROLE SECURITYADMIN;
CREATE ROLE IF NOT EXISTS ${{ sf.role }}
  COMMENT = 'Loads and transforms the ${{ p.spec.metadata.name }} pipeline (Spark batch job, dbt)';
GRANT ROLE ${{ sf.role }} TO ROLE SYSADMIN;

-- Service user: key-pair authentication only (no password), type SERVICE.
CREATE USER IF NOT EXISTS ${{ sf.user }}
  TYPE = SERVICE
  DEFAULT_ROLE = ${{ sf.role }}
  DEFAULT_WAREHOUSE = ${{ sf.warehouse }}
  COMMENT = 'Service user of the ${{ p.spec.metadata.name }} pipeline';
GRANT ROLE ${{ sf.role }} TO USER ${{ sf.user }};

USE ROLE SYSADMIN;
-- An X-Small warehouse that suspends after a minute: batch loads are short.
CREATE WAREHOUSE IF NOT EXISTS ${{ sf.warehouse }}
  WAREHOUSE_SIZE = XSMALL
  AUTO_SUSPEND = 60
  AUTO_RESUME = TRUE
  INITIALLY_SUSPENDED = TRUE;
GRANT USAGE, OPERATE ON WAREHOUSE ${{ sf.warehouse }} TO ROLE ${{ sf.role }};

CREATE DATABASE IF NOT EXISTS ${{ sf.database }};
CREATE SCHEMA IF NOT EXISTS ${{ sf.database }}.${{ sf.schema }};
-- dbt builds its models in a schema of its own.
CREATE SCHEMA IF NOT EXISTS ${{ sf.database }}.${{ sf.schema }}_MARTS;
GRANT USAGE ON DATABASE ${{ sf.database }} TO ROLE ${{ sf.role }};
GRANT USAGE, CREATE TABLE, CREATE VIEW, CREATE STAGE ON SCHEMA ${{ sf.database }}.${{ sf.schema }} TO ROLE ${{ sf.role }};
GRANT ALL ON SCHEMA ${{ sf.database }}.${{ sf.schema }}_MARTS TO ROLE ${{ sf.role }};

USE ROLE ${{ sf.role }};
USE WAREHOUSE ${{ sf.warehouse }};
USE SCHEMA ${{ sf.database }}.${{ sf.schema }};
{%- for d in p.datasets %}

-- ${{ d.source }}: the batch layer keeps the latest row per key. The Spark job
-- loads the staging table (never with Overwrite, which drops the table and its
-- grants: snowflakedb/spark-snowflake#75) and MERGEs it into the table.
CREATE TABLE IF NOT EXISTS ${{ d.snowflakeTable }} (
{%- for c in d.columns %}
  ${{ c.name | upper }} ${{ c.snowflake }}${{ '' if c.nullable else ' NOT NULL' }},
{%- endfor %}
{%- for c in p.layerColumns.batch %}
{%- if c.comment %}
  -- ${{ c.comment }}
{%- endif %}
  ${{ c.name }} ${{ c.type }}${{ (' DEFAULT ' + c.default) if c.default else '' }},
{%- endfor %}
  CONSTRAINT PK_${{ d.tableName | upper }} PRIMARY KEY (${{ d.primaryKey | join(', ') | upper }})
);
CREATE TRANSIENT TABLE IF NOT EXISTS ${{ d.snowflakeStagingTable }} LIKE ${{ d.snowflakeTable }};
{%- endfor %}

-- Where the batch job records how far each load got (its watermark).
CREATE TABLE IF NOT EXISTS ${{ sf.database }}.${{ sf.schema }}.LAMBDA_BATCH_WATERMARKS (
  TABLE_NAME VARCHAR NOT NULL,
  ICEBERG_SNAPSHOT_ID NUMBER(20, 0) NOT NULL,
  KAFKA_OFFSETS VARIANT NOT NULL,
  EVENT_TIME_COMPLETE_UP_TO TIMESTAMP_TZ(3),
  LOADED_AT TIMESTAMP_TZ(3) DEFAULT CURRENT_TIMESTAMP()
);
