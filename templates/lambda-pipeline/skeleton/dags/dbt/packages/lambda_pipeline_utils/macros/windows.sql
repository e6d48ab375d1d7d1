{% raw %}{#
    Event-time windows, computed exactly as the reconciliation DAG does in
    both layers: floor(epoch seconds / window length) * window length, in UTC.
    The window length is the project variable `window_minutes` (the spec's
    reconciliation.windowMinutes), so a mart row lines up with a
    reconciliation result for the same window.
#}

{% macro epoch_seconds(expression) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'lambda_pipeline_utils')(expression)) }}
{%- endmacro %}

{% macro default__epoch_seconds(expression) -%}
    cast(floor(extract(epoch from {{ expression }})) as bigint)
{%- endmacro %}

{% macro snowflake__epoch_seconds(expression) -%}
    date_part(epoch_second, {{ expression }})
{%- endmacro %}

{% macro duckdb__epoch_seconds(expression) -%}
    cast(floor(epoch({{ expression }})) as bigint)
{%- endmacro %}


{% macro window_seconds() -%}
    {{ return(var('window_minutes') | int * 60) }}
{%- endmacro %}


{# First second of the window `expression` falls in, as epoch seconds (UTC). #}
{% macro window_start_epoch(expression) -%}
    cast(floor({{ lambda_pipeline_utils.epoch_seconds(expression) }} / {{ lambda_pipeline_utils.window_seconds() }}) * {{ lambda_pipeline_utils.window_seconds() }} as bigint)
{%- endmacro %}


{# Epoch seconds -> timestamp without time zone, in UTC. #}
{% macro epoch_to_timestamp(expression) -%}
    {{ return(adapter.dispatch('epoch_to_timestamp', 'lambda_pipeline_utils')(expression)) }}
{%- endmacro %}

{% macro default__epoch_to_timestamp(expression) -%}
    cast(to_timestamp({{ expression }}) as timestamp)
{%- endmacro %}

{% macro snowflake__epoch_to_timestamp(expression) -%}
    to_timestamp_ntz({{ expression }})
{%- endmacro %}

{# make_timestamp takes microseconds and ignores the session time zone. #}
{% macro duckdb__epoch_to_timestamp(expression) -%}
    make_timestamp(cast({{ expression }} as bigint) * 1000000)
{%- endmacro %}
{% endraw %}