import { credentialLiteral, scanForSecrets } from './secrets';

const scan = (path: string, content: string) =>
  scanForSecrets([{ path, content }]);

// Built from pieces so that this file itself holds no credential-looking text.
const AKIA = ['AKIA', 'Q3EGRIOWJ5N7YTXB'].join('');
const AWS_SECRET = ['wJalrXUtnFEMI/K7MDENG', '/bPxRfiCYzK8Rj2hQm9'].join('');
const JWT = [
  'eyJhbGciOiJIUzI1NiJ9',
  'eyJzdWIiOiIxMjM0NTY3ODkwIn0',
  'dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
].join('.');
const PEM = ['-----BEGIN', 'PRIVATE KEY-----'].join(' ');
const BLOB = Buffer.from(
  'a credential that is long enough to matter 12345',
).toString('base64');

describe('scanForSecrets: positives', () => {
  it('finds private keys, AWS keys and JWTs anywhere', () => {
    expect(
      scan(
        'a.txt',
        [
          PEM,
          'MIIEvQIBADANBg...',
          `key id ${AKIA}`,
          `aws_secret_access_key = ${AWS_SECRET}`,
          `# bearer ${JWT}`,
        ].join('\n'),
      ),
    ).toEqual([
      'a.txt:1: private key block (PEM)',
      'a.txt:3: AWS access key id',
      'a.txt:4: AWS secret access key',
      'a.txt:4: literal value for "aws_secret_access_key": reference a Secret instead',
      'a.txt:5: JSON Web Token',
    ]);
  });

  it('finds literal credentials in YAML, env, JSON, code and SQL', () => {
    expect(scan('v.yaml', 'db:\n  password: hunter2\n')).toEqual([
      'v.yaml:2: literal value for "password": reference a Secret instead',
    ]);
    expect(scan('.env', 'export PGPASSWORD=hunter2\nTOKEN="abc123"\n')).toEqual(
      [
        '.env:1: literal value for "PGPASSWORD": reference a Secret instead',
        '.env:2: literal value for "TOKEN": reference a Secret instead',
      ],
    );
    expect(scan('c.json', '{\n  "apiKey": "k-123-abc"\n}\n')).toEqual([
      'c.json:2: literal value for "apiKey": reference a Secret instead',
    ]);
    expect(
      scan('dag.py', 'conn = connect(user="x", password="hunter2")\n'),
    ).toEqual([
      'dag.py:1: literal value for "password": reference a Secret instead',
    ]);
    expect(
      scan(
        'init.sql',
        "CREATE ROLE app LOGIN PASSWORD 'hunter2';\nCREATE USER u IDENTIFIED BY 'pw1';\n",
      ),
    ).toEqual([
      'init.sql:1: password literal in SQL',
      'init.sql:2: password literal in SQL',
    ]);
    expect(
      scan(
        'c.properties',
        'connection.url=postgresql://app:hunter2@pg:5432/db\n',
      ),
    ).toEqual(['c.properties:1: password in a URL']);
  });

  it('finds Snowflake private_key literals', () => {
    expect(
      scan(
        'profiles.yml',
        'snowflake:\n  private_key: MIIEvQIBADANBgkqhkiG9w0B\n',
      ),
    ).toEqual([
      'profiles.yml:2: private key literal for "private_key" (e.g. Snowflake key-pair auth): mount it from a Secret instead',
    ]);
  });

  it('finds Kubernetes Secrets with data and base64 blobs', () => {
    const findings = scan(
      'k8s/secret.yaml',
      [
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        '  name: pg',
        'data:',
        `  dump: ${BLOB}`,
      ].join('\n'),
    );
    expect(findings).toEqual([
      'k8s/secret.yaml:6: base64 blob (40+ characters) as a YAML value: is it a credential?',
      'k8s/secret.yaml:1: Kubernetes Secret "pg" with data/stringData: commit a SealedSecret or an ExternalSecret instead',
    ]);
    expect(
      scan(
        'kustomization.yaml',
        'secretGenerator:\n  - name: pg\n    literals:\n      - password=hunter2\n',
      ),
    ).toEqual([
      'kustomization.yaml:4: literal value for "password": reference a Secret instead',
      'kustomization.yaml:1: kustomize secretGenerator "pg" with literals',
    ]);
  });
});

describe('scanForSecrets: negatives', () => {
  it("passes kustomize patch paths (JSON pointers), but not a blob that starts with '/'", () => {
    expect(
      scan(
        'kustomization.yaml',
        'patches:\n  - patch: |-\n      - op: add\n        path: /spec/volumeClaimTemplates/0/spec/storageClassName\n',
      ),
    ).toEqual([]);
    expect(scan('values.yaml', `key: /${BLOB}`)).toHaveLength(1);
  });

  it('passes a README that talks about passwords in prose', () => {
    expect(
      scan(
        'README.md',
        [
          '# Orders pipeline',
          'The password of PostgreSQL is read from the Secret named in',
          '`secretPostgres`; token: never commit one. Rotate the secret yearly.',
          '```yaml',
          'password: <your-password>',
          '```',
        ].join('\n'),
      ),
    ).toEqual([]);
  });

  it('passes references to Secrets and placeholders', () => {
    expect(
      scan(
        'deploy.yaml',
        [
          'apiVersion: apps/v1',
          'kind: Deployment',
          'spec:',
          '  template:',
          '    spec:',
          '      containers:',
          '        - name: app',
          '          env:',
          '            - name: DB_PASSWORD',
          '              valueFrom:',
          '                secretKeyRef:',
          '                  name: pg-credentials',
          '                  key: password',
          '            - name: TOKEN',
          '              value: ${TOKEN}',
          '          volumeMounts: []',
          '      volumes:',
          '        - name: creds',
          '          secret:',
          '            secretName: pg-credentials',
          '---',
          'apiVersion: kafka.strimzi.io/v1',
          'kind: KafkaConnector',
          'spec:',
          '  config:',
          '    database.password: ${secrets:cdc/pg:password}',
          '    snowflake.private.key: ${file:/opt/snowflake/key.properties:key}',
          '    automountServiceAccountToken: false',
          '    passwordSecret:',
          '      secretName: pg',
          '      password: pg-pass',
          '    existingSecret: airflow-pg',
          '    credentialsSecret: git-sync',
          '    tokenFile: /var/run/secrets/token',
          '    secretSnowflake: snowflake-key',
          '    annotations: { summary: "{{ $labels.pod }}" }',
          '    fernetKeySecretName: airflow-fernet',
          "    password: ''",
          '    token: "{{ .Values.token }}"',
          '    apiKey: <api-key>',
        ].join('\n'),
      ),
    ).toEqual([]);
  });

  it('passes ExternalSecret key names, SealedSecret data and certificates', () => {
    const cert = Buffer.from(
      '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ',
    ).toString('base64');
    expect(
      scan(
        'secrets.yaml',
        [
          'apiVersion: external-secrets.io/v1',
          'kind: ExternalSecret',
          'spec:',
          '  data:',
          '    - secretKey: pg_user',
          '      remoteRef: { key: prod/pg, property: user }',
          '---',
          'apiVersion: bitnami.com/v1alpha1',
          'kind: SealedSecret',
          'spec:',
          '  encryptedData:',
          `    password: ${BLOB}`,
          '---',
          'apiVersion: v1',
          'kind: ConfigMap',
          'data:',
          `  ca.crt: ${cert}`,
          '  checksum: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
          '  image: registry/app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
        ].join('\n'),
      ),
    ).toEqual([]);
  });

  it('passes code reading credentials from the environment and SQL binds', () => {
    expect(
      scan(
        'dag.py',
        [
          'password = os.environ["PG_PASSWORD"]',
          'token = Variable.get("token")',
          'conn = connect(password=password)',
          'url = f"postgresql://{user}:{password}@{host}/db"',
        ].join('\n'),
      ),
    ).toEqual([]);
    expect(
      scan(
        'x.sql',
        "ALTER USER app PASSWORD :'pw';\nALTER USER app PASSWORD '{{ env_var(\"PW\") }}';\n",
      ),
    ).toEqual([]);
    expect(
      scan(
        'run.sh',
        'export PGPASSWORD="$(cat /run/pw)"\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n',
      ),
    ).toEqual([]);
  });

  it('explains its decisions for single pairs', () => {
    expect(credentialLiteral('password', 'changeme')).toMatch(/literal value/);
    expect(credentialLiteral('password', 'db-password')).toBeUndefined();
    expect(credentialLiteral('clientSecret', 'abcdef')).toMatch(/literal/);
    // An empty flow collection is a schema or a structure, not a value.
    expect(credentialLiteral('secret', '{}')).toBeUndefined();
    expect(credentialLiteral('secrets', '[]')).toBeUndefined();
    expect(credentialLiteral('existingSecret', 'abcdef')).toBeUndefined();
    expect(credentialLiteral('username', 'hunter2')).toBeUndefined();
    expect(credentialLiteral('password', '"!Secr3t"')).toMatch(/literal/);
    expect(credentialLiteral('password', '|')).toBeUndefined();
  });
});
