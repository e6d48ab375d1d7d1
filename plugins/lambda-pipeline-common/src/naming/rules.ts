import { shortHash } from './hash';

/**
 * Naming rules for everything a pipeline creates. Every name a pipeline uses
 * (Kafka topics, Strimzi resources, tables, catalog entities, labels) is derived
 * here from the spec, so the template, the catalog module and the backend agree.
 */

/** Longest pipeline name; leaves room for suffixes such as `-kafka-bootstrap`. */
export const MAX_PIPELINE_NAME_LENGTH = 40;

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const ENTITY_NAME = /^[a-zA-Z0-9]+([-_.][a-zA-Z0-9]+)*$/;
const KAFKA_TOPIC = /^[a-zA-Z0-9._-]+$/;

/** A DNS-1123 label starting with a letter (Kubernetes object names, Helm releases). */
export function isDnsLabel(value: string, maxLength = 63): boolean {
  return value.length <= maxLength && DNS_LABEL.test(value);
}

/** A DNS-1123 subdomain (Kubernetes Secret and custom resource names). */
export function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && DNS_SUBDOMAIN.test(value);
}

/** An unquoted, lowercase SQL identifier valid in PostgreSQL, ClickHouse and Snowflake. */
export function isSqlIdentifier(value: string): boolean {
  return value.length <= 63 && SQL_IDENTIFIER.test(value);
}

/** A valid Kafka topic name (legal characters, at most 249 characters, not `.`/`..`). */
export function isKafkaTopicName(value: string): boolean {
  return (
    value.length > 0 &&
    value.length <= 249 &&
    value !== '.' &&
    value !== '..' &&
    KAFKA_TOPIC.test(value)
  );
}

/** A valid Backstage entity `metadata.name`. */
export function isEntityName(value: string): boolean {
  return value.length <= 63 && ENTITY_NAME.test(value);
}

/**
 * Suggests a DNS-safe name for free text, for error messages and form defaults:
 * `Orders_Pipeline v2` -> `orders-pipeline-v2`.
 */
export function suggestDnsLabel(
  value: string,
  maxLength = MAX_PIPELINE_NAME_LENGTH,
): string {
  const cleaned = value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '');
  const trimmed = cleaned.slice(0, maxLength).replace(/-+$/, '');
  return trimmed || 'pipeline';
}

/** Pipeline name as a SQL identifier: `orders-eu` -> `orders_eu`. */
export function toSqlIdentifier(dnsName: string): string {
  return dnsName.replace(/-/g, '_');
}

/**
 * Rewrites `raw` with `clean` and shortens it to `maxLength`. If anything other
 * than case had to change, a hash of the original is appended so two different
 * inputs never collapse to the same name, and the result is the same on every
 * call (no flapping between catalog refreshes).
 */
function fitName(
  raw: string,
  options: {
    lowercase: boolean;
    clean: (value: string) => string;
    maxLength: number;
    /** Treat a change of case as a change (appends the hash). */
    keepCase?: boolean;
  },
): string {
  const base = options.lowercase ? raw.toLowerCase() : raw;
  const cleaned = options.clean(base);
  if (
    cleaned === base &&
    cleaned.length <= options.maxLength &&
    !(options.keepCase && base !== raw)
  ) {
    return cleaned;
  }
  const suffix = `-${shortHash(raw)}`;
  const head = options
    .clean(cleaned.slice(0, options.maxLength - suffix.length))
    .slice(0, options.maxLength - suffix.length);
  return head ? `${head}${suffix}` : suffix.slice(1);
}

const trimSeparators = (value: string) =>
  value.replace(/^[^a-zA-Z0-9]+|[^a-zA-Z0-9]+$/g, '');

/**
 * Backstage entity name for any derived dataset or component name. With
 * `keepCase`, a name that had to be lower-cased also gets the hash, for
 * sources where `Orders` and `orders` are different things.
 */
export function toEntityName(
  raw: string,
  options: { keepCase?: boolean } = {},
): string {
  return fitName(raw, {
    lowercase: true,
    keepCase: options.keepCase,
    clean: v =>
      trimSeparators(
        v.replace(/[^a-z0-9._-]+/g, '-').replace(/[-_.]{2,}/g, '-'),
      ),
    maxLength: 63,
  });
}

/**
 * Kubernetes object name (DNS-1123 subdomain, kept to 63 characters so it can
 * also be used as a label value), e.g. for a Strimzi KafkaTopic whose Kafka
 * name contains underscores.
 */
export function toKubernetesName(raw: string): string {
  return fitName(raw, {
    lowercase: true,
    clean: v =>
      trimSeparators(
        v
          .replace(/[^a-z0-9.-]+/g, '-')
          .replace(/-?\.-?/g, '.')
          .replace(/\.{2,}/g, '.'),
      ),
    maxLength: 63,
  });
}

/** Kubernetes label value: at most 63 characters, alphanumerics and `-_.`. */
export function toLabelValue(raw: string): string {
  return fitName(raw, {
    lowercase: false,
    clean: v => trimSeparators(v.replace(/[^a-zA-Z0-9._-]+/g, '-')),
    maxLength: 63,
  });
}
