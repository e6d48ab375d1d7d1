import { findUnrenderedSyntax } from './unrendered';

describe('findUnrenderedSyntax', () => {
  it('reports ${{ }}, {{ values }} and Nunjucks block tags with their line', () => {
    expect(
      findUnrenderedSyntax([
        {
          path: 'platform/kafka/topic.yaml',
          content: [
            'metadata:',
            '  name: ${{ values.name }}-cdc',
            '  namespace: {{values.namespace}}',
            '{% if values.tls %}',
            '  tls: true',
            '{%- endif %}',
            'replicas: {{ parameters.replicas }}',
          ].join('\n'),
        },
      ]),
    ).toEqual([
      'platform/kafka/topic.yaml:2: name: ${{ values.name }}-cdc',
      'platform/kafka/topic.yaml:3: namespace: {{values.namespace}}',
      'platform/kafka/topic.yaml:4: {% if values.tls %}',
      'platform/kafka/topic.yaml:6: {%- endif %}',
      'platform/kafka/topic.yaml:7: replicas: {{ parameters.replicas }}',
    ]);
  });

  it('leaves Helm, Prometheus, Airflow and GitHub Actions syntax alone', () => {
    expect(
      findUnrenderedSyntax([
        {
          path: 'platform/monitoring/rules.yaml',
          content:
            'summary: "lag on {{ $labels.topic }}"\nname: {{ .Release.Name }}\nsql: "{{ ds }}"\n',
        },
        {
          path: '.github/workflows/ci.yaml',
          content:
            'run: echo ${{ github.sha }} ${{ secrets.TOKEN }}\nif: ${{ matrix.os }}\n',
        },
      ]),
    ).toEqual([]);
    expect(
      findUnrenderedSyntax([
        {
          path: '.github/workflows/ci.yaml',
          content: 'name: ${{ parameters.name }}\n',
        },
      ]),
    ).toEqual(['.github/workflows/ci.yaml:1: name: ${{ parameters.name }}']);
  });

  it("allows a dbt project's own Jinja but not scaffolder leftovers in it", () => {
    const files = [
      { path: 'dags/dbt/dbt_project.yml', content: 'name: orders\n' },
      {
        path: 'dags/dbt/models/orders.sql',
        content:
          "{{ config(materialized='incremental') }}\nselect * from {{ ref('stg') }}\n{% if is_incremental() %}where 1=1{% endif %}\n-- ${{ values.name }}\n",
      },
      { path: 'dags/orders.py', content: '# {% raw %}\n' },
    ];
    expect(findUnrenderedSyntax(files)).toEqual([
      'dags/dbt/models/orders.sql:4: -- ${{ values.name }}',
      'dags/orders.py:1: # {% raw %}',
    ]);
    expect(
      findUnrenderedSyntax(files, { jinjaNative: p => p.endsWith('.py') }),
    ).toEqual([
      'dags/dbt/models/orders.sql:3: {% if is_incremental() %}where 1=1{% endif %}',
      'dags/dbt/models/orders.sql:4: -- ${{ values.name }}',
    ]);
  });
});
