{%- set d = values.dataset -%}
-- ${{ d.source }} as the batch layer holds it (${{ d.snowflakeTable }}): one row
-- per primary key (${{ d.primaryKey | join(', ') }}), the newest version the batch job
-- merged, tombstones included (_is_deleted). Nothing is filtered here: the
-- tests on this model check what the batch job promises.

-- On DuckDB (tests, local development) the source is the sample seed: build it first.
{% raw %}{% if target.type == 'duckdb' %}{% endraw %}
-- depends_on: {{ ref('raw_${{ d.tableName }}') }}
{% raw %}{% endif %}{% endraw %}

select
{%- for c in d.columns %}
    ${{ c.name }},
{%- endfor %}
    -- source position and operation of the change that produced this version
    _lsn,
    _op,
    _is_deleted,
    _source_ts,
    _kafka_partition,
    _kafka_offset,
    -- xxhash64 of the row, computed the same way in the speed layer
    _fingerprint,
    -- when the batch job inserted or last updated the row
    _loaded_at
from {{ source('raw', '${{ d.tableName }}') }}
