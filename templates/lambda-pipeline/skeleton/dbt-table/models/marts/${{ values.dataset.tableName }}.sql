{%- set d = values.dataset -%}
{%- set keys = d.primaryKey -%}
{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=[{% for k in keys %}'${{ k }}'{% if not loop.last %}, {% endif %}{% endfor %}],
        on_schema_change='append_new_columns',
        post_hook="delete from {{ this }} where _is_deleted"
    )
}}

-- Live ${{ d.source }} rows, one per primary key. Incremental runs merge every
-- row loaded since the last run, tombstones included, and the post-hook then
-- deletes the keys whose newest version is a tombstone.

select
{%- for c in d.columns %}
    ${{ c.name }},
{%- endfor %}
    {{ lambda_pipeline_utils.window_start_epoch('${{ d.eventTimeColumn }}') }} as window_start_epoch,
    _lsn,
    _source_ts,
    _loaded_at,
    _is_deleted
from {{ ref('stg_${{ d.tableName }}') }}
{% raw %}{% if is_incremental() %}{% endraw %}
where _loaded_at > {{ lambda_pipeline_utils.high_water_mark('_loaded_at') }}
{% raw %}{% else %}{% endraw %}
where not _is_deleted
{% raw %}{% endif %}{% endraw %}
