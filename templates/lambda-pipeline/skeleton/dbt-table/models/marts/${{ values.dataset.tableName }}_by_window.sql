{%- set d = values.dataset -%}
{%- set keys = d.primaryKey -%}
{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='window_start_epoch',
        on_schema_change='append_new_columns'
    )
}}

-- ${{ d.source }} per reconciliation window of ${{ d.eventTimeColumn }} (var window_minutes,
-- UTC): the figures the reconciliation DAG compares between ClickHouse and
-- Snowflake, over the live rows. Sums are exact (NUMBER(38, scale)).
-- Incremental runs re-aggregate, from all rows, every window a row loaded
-- since the last run entered or left; other windows cannot have changed.

with versions as (

    select * from {{ ref('int_${{ d.tableName }}__versions') }}

),

windows as (

{% raw %}{% if is_incremental() %}{% endraw %}
    select window_start_epoch
    from versions
    where _loaded_at > {{ lambda_pipeline_utils.high_water_mark('last_loaded_at') }}
    union
    select previous_window_start_epoch
    from versions
    where _loaded_at > {{ lambda_pipeline_utils.high_water_mark('last_loaded_at') }}
{% raw %}{% else %}{% endraw %}
    select distinct window_start_epoch
    from versions
{% raw %}{% endif %}{% endraw %}

),

aggregated as (

    select
        window_start_epoch,
        sum(case when _is_deleted then 0 else 1 end) as row_count,
        count(distinct case when not _is_deleted then {{ lambda_pipeline_utils.key_expression([{% for k in keys %}'${{ k }}'{% if not loop.last %}, {% endif %}{% endfor %}]) }} end) as distinct_keys,
        sum(case when _is_deleted then 1 else 0 end) as deleted_rows,
{%- for m in d.measures %}
        sum(case when not _is_deleted then ${{ m }} end) as sum_${{ m }},
{%- endfor %}
        {{ lambda_pipeline_utils.bit_xor_agg('case when not _is_deleted then _fingerprint end') }} as fingerprint_xor,
        max(_loaded_at) as last_loaded_at
    from versions
    where window_start_epoch in (select window_start_epoch from windows)
    group by window_start_epoch

)

-- A window every row left is kept with zero figures rather than left stale.
select
    windows.window_start_epoch,
    {{ lambda_pipeline_utils.epoch_to_timestamp('windows.window_start_epoch') }} as window_start,
    {{ lambda_pipeline_utils.epoch_to_timestamp('windows.window_start_epoch + ' ~ lambda_pipeline_utils.window_seconds()) }} as window_end,
    cast(coalesce(aggregated.row_count, 0) as bigint) as row_count,
    cast(coalesce(aggregated.distinct_keys, 0) as bigint) as distinct_keys,
    cast(coalesce(aggregated.deleted_rows, 0) as bigint) as deleted_rows,
{%- for c in d.columns %}{% if c.isMeasure %}
{%- set scale = (c.snowflake.slice(7, -1).split(',')[1] | trim) if c.snowflake.startsWith('NUMBER(') else '0' %}
    cast(coalesce(aggregated.sum_${{ c.name }}, 0) as numeric(38, ${{ scale }})) as sum_${{ c.name }},
{%- endif %}{% endfor %}
    cast(coalesce(aggregated.fingerprint_xor, 0) as bigint) as fingerprint_xor,
    aggregated.last_loaded_at
from windows
left join aggregated
    on aggregated.window_start_epoch = windows.window_start_epoch
