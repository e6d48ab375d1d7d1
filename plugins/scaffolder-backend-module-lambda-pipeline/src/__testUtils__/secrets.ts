import yaml from 'yaml';
import { RenderedFile } from './types';

/*
 * What counts as a leaked credential in rendered files (`path:line: reason`;
 * the value itself is never repeated):
 *
 * Everywhere, comments and prose included:
 * - PEM private-key blocks; AWS access key ids (AKIA/ASIA..., except AWS's
 *   documented `...EXAMPLE` ids); 40-character AWS secret keys after
 *   `aws_secret_access_key`/`secretAccessKey`; JSON Web Tokens; passwords in
 *   URLs (`scheme://user:pass@host`).
 * In assignments (YAML/JSON `key: value`, env/properties/Dockerfile
 * `KEY=value`, quoted literals in code, SQL `PASSWORD '...'` and
 * `IDENTIFIED BY '...'` in `.sql` files or `CREATE/ALTER USER/ROLE` lines), outside comment lines and, in Markdown, only inside
 * fenced code blocks:
 * - a literal value for a credential key (…password, passwd, passphrase,
 *   token, secret, api key, secret key, access key, private key, credentials,
 *   fernet key).
 *   Not literal, so allowed: empty/null, booleans, short numbers, YAML block
 *   or flow starts, empty flow collections (`secret: {}` in a CRD schema),
 *   anchors and aliases; references (`${...}`, `$(...)`,
 *   `$VAR`, `{{ ... }}`, `{name}`, `%s`); `<placeholder>`s; values under
 *   `secretKeyRef`, `valueFrom`, `secretRef`, `passwordSecret`, `remoteRef`...
 *   (key names in a Secret); values naming a key or Secret by a word such as
 *   `password` or `db-password`; Secret names (DNS-1123) for keys such as
 *   `existingSecret` or `credentialsSecret`; unquoted expressions in code.
 * - a Snowflake/PKCS#8 `private_key` literal is reported as such.
 * In YAML files:
 * - `kind: Secret` objects with `data` or `stringData` (commit a SealedSecret
 *   or an ExternalSecret instead), kustomize `secretGenerator` literals;
 * - base64 blobs of 40+ characters as values (except SealedSecret
 *   `encryptedData` and encoded certificates or public keys).
 */

const CODE_FILE = /\.(py|js|jsx|ts|tsx|mjs|cjs|java|scala|kt|go|rb|rs|cs)$/i;
const MARKDOWN_FILE = /\.(md|mdx|markdown|rst|adoc)$/i;
const YAML_FILE = /\.ya?ml$/i;

const CREDENTIAL_KEY =
  /(password|passwd|passphrase|token|secret|apikey|secretkey|accesskey|privatekey|privatekey(content|pem|base64|der)|credentials?|fernetkey)$/;
/** `*secret` keys whose value is the credential rather than a Secret name. */
const CREDENTIAL_SECRET_KEY =
  /^(secret|clientsecret|jwtsecret|sharedsecret|appsecret|apisecret|webhooksecret|hmacsecret|signingsecret|tokensecret|consumersecret)$/;
/**
 * Parents under which values name Secrets or keys of Secrets, or are
 * encrypted (SealedSecret `encryptedData`).
 */
const SAFE_PARENT =
  /(secretkeyref|valuefrom|secretref|passwordsecret|remoteref|secretkeyselector|existingsecret|secretstoreref|secretname|encrypteddata)$/;
const KEY_WORDS = new Set(
  'password passwd pass pw token secret secrets key keys credential credentials passphrase apikey private privatekey'.split(
    ' ',
  ),
);
const EXTERNAL_SECRET_KINDS = /^(Cluster)?ExternalSecret$|^PushSecret$/;
const DNS_1123 = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

const normalize = (key: string) => key.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Values that are not literals: empty, references, placeholders. */
function isReferenceOrEmpty(value: string): boolean {
  return (
    value.trim() === '' ||
    /^(~|null|none|nil|undefined|true|false|yes|no|on|off)$/i.test(value) ||
    /^-?\d{1,5}$/.test(value) ||
    /\$\{|\$\(|\{\{|%\(|#\{|^\$[A-Za-z_{(]|%s|\{[A-Za-z_][\w.]*\}/.test(
      value,
    ) ||
    /^<[^<>]+>$/.test(value) ||
    /^(\*{3,}|x{3,}|\.{3})$/i.test(value)
  );
}

/** Unquoted YAML that is not a scalar: block/flow starts, empty flow collections, anchors, aliases, tags. */
const YAML_NON_SCALAR =
  /^([|>][-+0-9]*|\{|\[|\{\s*\}|\[\s*\]|[&*!]\S*)(\s.*)?$/;

/** `db-password`, `snowflake/private_key`: names of keys, not values. */
function namesAKey(value: string): boolean {
  return (
    /^[A-Za-z0-9]+([-_./][A-Za-z0-9]+)*$/.test(value) &&
    value
      .toLowerCase()
      .split(/[-_./]/)
      .some(segment => KEY_WORDS.has(segment))
  );
}

/** The reason a `key: value` pair leaks a credential, or undefined. */
export function credentialLiteral(
  key: string,
  rawValue: string,
  parents: string[] = [],
): string | undefined {
  const norm = normalize(key);
  if (!CREDENTIAL_KEY.test(norm)) {
    return undefined;
  }
  const raw = rawValue.trim();
  const value = unquote(raw);
  if (
    (!/^["']/.test(raw) && YAML_NON_SCALAR.test(raw)) ||
    isReferenceOrEmpty(value) ||
    namesAKey(value) ||
    parents.some(p => SAFE_PARENT.test(normalize(p))) ||
    (norm.endsWith('secret') &&
      !CREDENTIAL_SECRET_KEY.test(norm) &&
      DNS_1123.test(value))
  ) {
    return undefined;
  }
  return /privatekey/.test(norm)
    ? `private key literal for "${key}" (e.g. Snowflake key-pair auth): mount it from a Secret instead`
    : `literal value for "${key}": reference a Secret instead`;
}

/** Strips quotes and, for unquoted values, a trailing comment and comma. */
function unquote(raw: string): string {
  const value = raw.trim();
  const quoted = /^(["'])(.*?)\1/.exec(value);
  if (quoted) {
    return quoted[2];
  }
  return value
    .replace(/\s+#.*$/, '')
    .replace(/,$/, '')
    .trim();
}

const STRONG_RULES: Array<[RegExp, string, (m: RegExpExecArray) => boolean]> = [
  [
    /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----/,
    'private key block (PEM)',
    () => true,
  ],
  [
    /\b(AKIA|ASIA)[0-9A-Z]{16}\b/,
    'AWS access key id',
    m => !m[0].endsWith('EXAMPLE'),
  ],
  [
    /(aws_secret_access_key|secret_access_key|secretaccesskey)["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/i,
    'AWS secret access key',
    () => true,
  ],
  [
    /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/,
    'JSON Web Token',
    () => true,
  ],
  [
    /\b[a-z][a-z0-9+.-]*:\/\/([^\s:@/]+):([^\s@/]+)@/i,
    'password in a URL',
    m => !isReferenceOrEmpty(m[2]) && !namesAKey(m[2]),
  ],
];

const SQL_RULES: RegExp[] = [
  /\bPASSWORD\s*=?\s*(['"])(.*?)\1/i,
  /\bIDENTIFIED\s+BY\s+(['"]?)([^'"\s;]*)\1/i,
];

/** Quoted `key: "value"` / `key = 'value'` anywhere in a line. */
const QUOTED_ASSIGNMENT =
  /["']?([A-Za-z_][\w.-]*)["']?\s*[:=]\s*(["'])((?:(?!\2).)*)\2/g;
const YAML_LINE = /^(\s*)(-\s+)?["']?([^\s"':#][^"':]*?)["']?\s*:(\s+(.*))?$/;
const ENV_LINE =
  /^\s*(?:-\s+)?(?:(?:export|ENV|ARG)\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/;

function isBase64Blob(value: string): string | undefined {
  if (
    !/^[A-Za-z0-9+/]{40,}={0,2}$/.test(value) ||
    /^[0-9a-f]+$/i.test(value) ||
    !/[0-9]/.test(value) ||
    !/[a-z]/.test(value) ||
    !/[A-Z]/.test(value) ||
    // A JSON pointer (kustomize's patch paths): /spec/volumeClaimTemplates/0/...
    /^(\/([a-z][A-Za-z]*|\d+))+$/.test(value)
  ) {
    return undefined;
  }
  const decoded = Buffer.from(value, 'base64').toString('latin1');
  if (/-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY/.test(decoded)) {
    return 'base64-encoded private key';
  }
  if (/-----BEGIN (CERTIFICATE|PUBLIC KEY|RSA PUBLIC KEY)/.test(decoded)) {
    return undefined;
  }
  return 'base64 blob (40+ characters) as a YAML value: is it a credential?';
}

function yamlObjectFindings(file: RenderedFile): string[] {
  const findings: string[] = [];
  const lineCounter = new yaml.LineCounter();
  const docs = yaml.parseAllDocuments(file.content, { lineCounter });
  for (const doc of Array.isArray(docs) ? docs : []) {
    if (doc.errors.length > 0) {
      continue;
    }
    const obj = doc.toJS({ maxAliasCount: 1000 });
    const line = lineCounter.linePos(doc.contents?.range?.[0] ?? 0).line;
    const nonEmpty = (v: unknown) =>
      typeof v === 'object' && v !== null && Object.keys(v).length > 0;
    if (
      obj?.kind === 'Secret' &&
      (nonEmpty(obj.data) || nonEmpty(obj.stringData))
    ) {
      findings.push(
        `${file.path}:${line}: Kubernetes Secret "${obj.metadata?.name}" with data/stringData: commit a SealedSecret or an ExternalSecret instead`,
      );
    }
    for (const gen of Array.isArray(obj?.secretGenerator)
      ? obj.secretGenerator
      : []) {
      if (Array.isArray(gen?.literals) && gen.literals.length > 0) {
        findings.push(
          `${file.path}:${line}: kustomize secretGenerator "${gen.name}" with literals`,
        );
      }
    }
  }
  return findings;
}

/** Findings of one file, `path:line: reason`. */
function scanFile(file: RenderedFile): string[] {
  if (file.content.includes('\u0000')) {
    return [];
  }
  const isYaml = YAML_FILE.test(file.path);
  const isCode = CODE_FILE.test(file.path);
  const isMarkdown = MARKDOWN_FILE.test(file.path);
  const findings = new Set<string>();
  const parents: Array<{ indent: number; key: string }> = [];
  let inFence = false;
  let docKind = '';

  file.content.split('\n').forEach((text, index) => {
    const at = `${file.path}:${index + 1}`;
    const report = (reason: string) => findings.add(`${at}: ${reason}`);
    for (const [re, reason, accept] of STRONG_RULES) {
      const m = re.exec(text);
      if (m && accept(m)) {
        report(reason);
      }
    }
    if (isMarkdown && /^\s*(```|~~~)/.test(text)) {
      inFence = !inFence;
      return;
    }
    if (isYaml && /^---/.test(text)) {
      docKind = '';
    }
    const kindLine = /^kind:\s*["']?(\w+)/.exec(text);
    if (isYaml && kindLine) {
      docKind = kindLine[1];
    }
    const trimmed = text.trim();
    if (
      (isMarkdown && !inFence) ||
      trimmed === '' ||
      /^(#|\/\/|--|\/\*|\*)/.test(trimmed)
    ) {
      return;
    }

    let ancestors: string[] = [];
    const yamlLine = YAML_LINE.exec(text);
    if (isYaml && yamlLine) {
      const indent = yamlLine[1].length + (yamlLine[2]?.length ?? 0);
      while (parents.length && parents[parents.length - 1].indent >= indent) {
        parents.pop();
      }
      ancestors = parents.map(p => p.key);
      parents.push({ indent, key: yamlLine[3] });
    }

    const pairs: Array<[string, string]> = [];
    for (const m of text.matchAll(QUOTED_ASSIGNMENT)) {
      pairs.push([m[1], `${m[2]}${m[3]}${m[2]}`]);
    }
    if (!isCode) {
      if (yamlLine) {
        pairs.push([yamlLine[3], yamlLine[5] ?? '']);
      }
      const env = ENV_LINE.exec(text);
      if (env && !yamlLine) {
        pairs.push([env[1], env[2]]);
      }
    }
    for (const [key, value] of pairs) {
      if (
        EXTERNAL_SECRET_KINDS.test(docKind) &&
        normalize(key) === 'secretkey'
      ) {
        continue; // spec.data[].secretKey: the key in the Secret it writes
      }
      const reason = credentialLiteral(key, value, ancestors);
      if (reason) {
        report(reason);
      }
    }
    const sql =
      /\.sql$/i.test(file.path) ||
      /\b((CREATE|ALTER)\s+(USER|ROLE)|IDENTIFIED\s+BY)\b/i.test(text);
    for (const re of sql ? SQL_RULES : []) {
      const m = re.exec(text);
      if (m && !isReferenceOrEmpty(m[2]) && !/^[:?@]/.test(m[2])) {
        report('password literal in SQL');
      }
    }
    if (isYaml && yamlLine?.[5]) {
      const blob = isBase64Blob(unquote(yamlLine[5]));
      if (blob && !ancestors.some(p => /^encryptedData$/.test(p))) {
        report(blob);
      }
    }
  });

  if (isYaml) {
    yamlObjectFindings(file).forEach(f => findings.add(f));
  }
  return [...findings];
}

/** Credentials in rendered files, as `path:line: reason` (see above). */
export function scanForSecrets(files: RenderedFile[]): string[] {
  return files.flatMap(scanFile);
}
