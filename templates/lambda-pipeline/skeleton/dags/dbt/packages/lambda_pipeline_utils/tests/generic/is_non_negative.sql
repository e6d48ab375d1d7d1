{% raw %}{# Counts and row totals can never be negative. #}
{% test is_non_negative(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0
{% endtest %}
{% endraw %}