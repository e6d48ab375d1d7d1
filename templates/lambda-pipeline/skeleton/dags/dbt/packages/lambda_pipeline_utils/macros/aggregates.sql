{% raw %}{#
    Aggregates the marts share with the reconciliation DAG: the XOR of row
    fingerprints (Snowflake BITXOR_AGG, ClickHouse groupBitXor) and one value
    per primary key (composite keys joined with a separator).
#}

{% macro bit_xor_agg(expression) -%}
    {{ return(adapter.dispatch('bit_xor_agg', 'lambda_pipeline_utils')(expression)) }}
{%- endmacro %}

{% macro default__bit_xor_agg(expression) -%}
    bit_xor({{ expression }})
{%- endmacro %}

{% macro snowflake__bit_xor_agg(expression) -%}
    bitxor_agg({{ expression }})
{%- endmacro %}


{# One expression identifying a row by its key columns (for count(distinct ...)). #}
{% macro key_expression(columns) -%}
    {%- if columns | length == 1 -%}
        {{ columns[0] }}
    {%- else -%}
        {%- for column in columns -%}
            cast({{ column }} as varchar){% if not loop.last %} || '|' || {% endif %}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
{% endraw %}