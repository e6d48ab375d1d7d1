{%- set d = values.dataset -%}
-- ${{ d.tableName }}_by_window, built incrementally, must equal a full re-aggregation of
-- stg_${{ d.tableName }}, window by window: live rows, deletes, exact sums of the measures
-- and the XOR of fingerprints. Returns the windows that differ.

with expected as (

    select
        {{ lambda_pipeline_utils.window_start_epoch('${{ d.eventTimeColumn }}') }} as window_start_epoch,
        sum(case when _is_deleted then 0 else 1 end) as row_count,
        sum(case when _is_deleted then 1 else 0 end) as deleted_rows,
{%- for m in d.measures %}
        coalesce(sum(case when not _is_deleted then ${{ m }} end), 0) as sum_${{ m }},
{%- endfor %}
        coalesce({{ lambda_pipeline_utils.bit_xor_agg('case when not _is_deleted then _fingerprint end') }}, 0) as fingerprint_xor
    from {{ ref('stg_${{ d.tableName }}') }}
    group by 1

),

actual as (

    select *
    from {{ ref('${{ d.tableName }}_by_window') }}
    -- windows every row left stay in the mart with zero figures
    where row_count > 0 or deleted_rows > 0

)

select
    coalesce(expected.window_start_epoch, actual.window_start_epoch) as window_start_epoch,
    expected.row_count as expected_row_count,
    actual.row_count as actual_row_count,
    expected.deleted_rows as expected_deleted_rows,
    actual.deleted_rows as actual_deleted_rows
from expected
full outer join actual
    on actual.window_start_epoch = expected.window_start_epoch
where expected.window_start_epoch is null
    or actual.window_start_epoch is null
    or expected.row_count <> actual.row_count
    or expected.deleted_rows <> actual.deleted_rows
{%- for m in d.measures %}
    or expected.sum_${{ m }} <> actual.sum_${{ m }}
{%- endfor %}
    or expected.fingerprint_xor <> actual.fingerprint_xor
