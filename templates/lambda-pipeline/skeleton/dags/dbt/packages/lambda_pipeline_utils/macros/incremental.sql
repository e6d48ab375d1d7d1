{% raw %}{#
    The newest `column` value already in the model being built, less the
    overlap (var incremental_overlap_minutes): rows loaded after it are
    (re)processed. `column` is a TIMESTAMP_TZ (_LOADED_AT); an empty model
    re-reads everything. The overlap covers a batch load that committed while the
    previous dbt run was reading; re-processing a row is harmless because
    every incremental model merges on its unique key.
#}
{% macro high_water_mark(column) -%}
    (
        select coalesce(
            {{ dbt.dateadd('minute', -1 * (var('incremental_overlap_minutes') | int), 'max(' ~ column ~ ')') }},
            cast('1900-01-01 00:00:00+00:00' as timestamp with time zone)
        )
        from {{ this }}
    )
{%- endmacro %}
{% endraw %}