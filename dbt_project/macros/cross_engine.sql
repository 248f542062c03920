{#-
    The SQL that DuckDB and Spark write differently, written once here with an implementation per
    engine (adapter.dispatch: `duckdb__` for the embedded default, `spark__` for dbt-spark), so that
    every model runs unchanged on both (issue 15; DECISIONLOG "One dbt Project, Two Engines").
    The DuckDB side is the SQL the models had before, so DuckDB's results do not change. Spark
    runs with its session zone pinned to UTC (profiles.yml), so its TIMESTAMP is the raw schema's
    UTC instant; a site's wall-clock time is a TIMESTAMP_NTZ there, as it is a TIMESTAMP on DuckDB.
    Types both engines spell alike are written as such (string, double, bigint, integer,
    boolean, date, decimal); only the instant type has a macro.
-#}

{#- The instant type: DuckDB's TIMESTAMPTZ, Spark's TIMESTAMP (an instant, shown in UTC). -#}
{% macro type_timestamptz() -%}
    {{ return(adapter.dispatch('type_timestamptz')()) }}
{%- endmacro %}

{% macro duckdb__type_timestamptz() -%}
    timestamptz
{%- endmacro %}

{% macro spark__type_timestamptz() -%}
    timestamp
{%- endmacro %}

{#- An instant literal from 'YYYY-MM-DD HH:MM:SS' UTC. -#}
{% macro timestamptz_literal(utc_text) -%}
    {{ return(adapter.dispatch('timestamptz_literal')(utc_text)) }}
{%- endmacro %}

{% macro duckdb__timestamptz_literal(utc_text) -%}
    timestamptz '{{ utc_text }}+00'
{%- endmacro %}

{% macro spark__timestamptz_literal(utc_text) -%}
    timestamp '{{ utc_text }}'
{%- endmacro %}

{#- A time later than every real one, for an open end ('infinity' on DuckDB; Spark has none, so
    its last representable microsecond). -#}
{% macro timestamptz_infinity() -%}
    {{ return(adapter.dispatch('timestamptz_infinity')()) }}
{%- endmacro %}

{% macro duckdb__timestamptz_infinity() -%}
    cast('infinity' as timestamptz)
{%- endmacro %}

{% macro spark__timestamptz_infinity() -%}
    timestamp '9999-12-31 23:59:59.999999'
{%- endmacro %}

{#- The wall-clock time in `zone` of the instant `at` (DuckDB's timezone(zone, timestamptz)). -#}
{% macro to_local(at, zone) -%}
    {{ return(adapter.dispatch('to_local')(at, zone)) }}
{%- endmacro %}

{% macro duckdb__to_local(at, zone) -%}
    timezone({{ zone }}, {{ at }})
{%- endmacro %}

{% macro spark__to_local(at, zone) -%}
    cast(from_utc_timestamp({{ at }}, {{ zone }}) as timestamp_ntz)
{%- endmacro %}

{#- The instant at which the wall clock of `zone` shows `local` (DuckDB's timezone(zone,
    timestamp)). Across a DST change DuckDB (ICU) reads a time that does not exist with the offset
    before the change, and a time that occurs twice as its later occurrence. Spark's
    to_utc_timestamp takes the earlier one, so the Spark side takes the later whenever it also maps
    back to `local`: the zone's offset one day later is the one after the change. -#}
{% macro from_local(local, zone) -%}
    {{ return(adapter.dispatch('from_local')(local, zone)) }}
{%- endmacro %}

{% macro duckdb__from_local(local, zone) -%}
    timezone({{ zone }}, {{ local }})
{%- endmacro %}

{% macro spark__from_local(local, zone) -%}
    {%- set wall = 'cast(' ~ local ~ ' as timestamp)' -%}
    {%- set later = 'to_utc_timestamp(' ~ wall ~ ' + interval 1 day, ' ~ zone ~ ') - interval 1 day' -%}
    case
        when from_utc_timestamp({{ later }}, {{ zone }}) = {{ wall }} then {{ later }}
        else to_utc_timestamp({{ wall }}, {{ zone }})
    end
{%- endmacro %}

{#- Seconds from `start` to `end` as a DOUBLE, fractions included (DuckDB's epoch(end - start)).
    DuckDB takes the interval's whole days (truncated toward zero) times 86,400 plus the remaining
    microseconds / 1e6; Spark computes the same two parts, so the doubles agree to the bit. -#}
{% macro seconds_between(start, end) -%}
    {{ return(adapter.dispatch('seconds_between')(start, end)) }}
{%- endmacro %}

{% macro duckdb__seconds_between(start, end) -%}
    epoch({{ end }} - {{ start }})
{%- endmacro %}

{% macro spark__seconds_between(start, end) -%}
    {%- set micros = '(unix_micros(cast(' ~ end ~ ' as timestamp)) - unix_micros(cast(' ~ start ~ ' as timestamp)))' -%}
    (
        cast({{ micros }} div 86400000000 as double) * 86400
        + cast({{ micros }} % 86400000000 as double) / 1000000
    )
{%- endmacro %}

{#- `at` plus a number of seconds (fractions to the microsecond), days or minutes. -#}
{% macro add_seconds(at, seconds) -%}
    {{ return(adapter.dispatch('add_seconds')(at, seconds)) }}
{%- endmacro %}

{% macro duckdb__add_seconds(at, seconds) -%}
    {{ at }} + to_seconds({{ seconds }})
{%- endmacro %}

{% macro spark__add_seconds(at, seconds) -%}
    {{ at }} + make_dt_interval(0, 0, 0, {{ seconds }})
{%- endmacro %}

{% macro add_minutes(at, minutes) -%}
    {{ return(adapter.dispatch('add_minutes')(at, minutes)) }}
{%- endmacro %}

{% macro duckdb__add_minutes(at, minutes) -%}
    {{ at }} + to_minutes({{ minutes }})
{%- endmacro %}

{% macro spark__add_minutes(at, minutes) -%}
    {{ at }} + make_dt_interval(0, 0, {{ minutes }}, 0)
{%- endmacro %}

{#- A number of days as an interval, added to or taken from an instant (whole UTC days). -#}
{% macro days_interval(days) -%}
    {{ return(adapter.dispatch('days_interval')(days)) }}
{%- endmacro %}

{% macro duckdb__days_interval(days) -%}
    to_days({{ days }})
{%- endmacro %}

{% macro spark__days_interval(days) -%}
    make_dt_interval({{ days }})
{%- endmacro %}

{#- The ISO weekday of a date: 1 = Monday .. 7 = Sunday. -#}
{% macro iso_weekday(day) -%}
    {{ return(adapter.dispatch('iso_weekday')(day)) }}
{%- endmacro %}

{% macro duckdb__iso_weekday(day) -%}
    isodow({{ day }})
{%- endmacro %}

{% macro spark__iso_weekday(day) -%}
    extract(dayofweek_iso from {{ day }})
{%- endmacro %}

{#- The value of `value` on the row with the largest (smallest) `by`, rows whose `value` or `by`
    is NULL left out (DuckDB's arg_max; Spark's max_by would return a NULL value). -#}
{% macro arg_max(value, by) -%}
    {{ return(adapter.dispatch('arg_max')(value, by)) }}
{%- endmacro %}

{% macro duckdb__arg_max(value, by) -%}
    arg_max({{ value }}, {{ by }})
{%- endmacro %}

{% macro spark__arg_max(value, by) -%}
    max_by({{ value }}, case when {{ value }} is not null then {{ by }} end)
{%- endmacro %}

{% macro arg_min(value, by) -%}
    {{ return(adapter.dispatch('arg_min')(value, by)) }}
{%- endmacro %}

{% macro duckdb__arg_min(value, by) -%}
    arg_min({{ value }}, {{ by }})
{%- endmacro %}

{% macro spark__arg_min(value, by) -%}
    min_by({{ value }}, case when {{ value }} is not null then {{ by }} end)
{%- endmacro %}

{#- Every column but `columns` (DuckDB's `* exclude`, Spark's `* except`); `relation` qualifies the
    star. -#}
{% macro star_except(columns, relation=none) -%}
    {{ return(adapter.dispatch('star_except')(columns, relation)) }}
{%- endmacro %}

{% macro duckdb__star_except(columns, relation) -%}
    {{ relation ~ '.' if relation }}* exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__star_except(columns, relation) -%}
    {{ relation ~ '.' if relation }}* except ({{ columns | join(', ') }})
{%- endmacro %}

{#- The last non-NULL value of `expression` in the window that follows (`last_value(... ignore
    nulls)`). -#}
{% macro last_value_ignore_nulls(expression) -%}
    {{ return(adapter.dispatch('last_value_ignore_nulls')(expression)) }}
{%- endmacro %}

{% macro duckdb__last_value_ignore_nulls(expression) -%}
    last_value({{ expression }} ignore nulls)
{%- endmacro %}

{% macro spark__last_value_ignore_nulls(expression) -%}
    last_value({{ expression }}, true)
{%- endmacro %}

{#- A struct of named fields: `make_struct([('name', 'sql'), ...])`; read a field with
    `struct.field`, the same on both. -#}
{% macro make_struct(fields) -%}
    {{ return(adapter.dispatch('make_struct')(fields)) }}
{%- endmacro %}

{% macro duckdb__make_struct(fields) -%}
    { {%- for name, value in fields %} '{{ name }}': {{ value }}{{ ',' if not loop.last }}{% endfor %} }
{%- endmacro %}

{% macro spark__make_struct(fields) -%}
    named_struct({%- for name, value in fields %}'{{ name }}', {{ value }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- The rows of `rows` (a list of tuples of SQL, one value per name of `columns`) for each row of
    the relation before it, as the relation `alias` (an unpivot): written after `cross join`. -#}
{% macro rows_of(alias, columns, rows) -%}
    {{ return(adapter.dispatch('rows_of')(alias, columns, rows)) }}
{%- endmacro %}

{% macro duckdb__rows_of(alias, columns, rows) -%}
    (
        select unnest(part)
        from unnest([
            {%- for row in rows %}
            {{ make_struct(zip(columns, row)) }}{{ ',' if not loop.last }}
            {%- endfor %}
        ]) as parts (part)
    ) as {{ alias }}
{%- endmacro %}

{% macro spark__rows_of(alias, columns, rows) -%}
    lateral inline(array(
        {%- for row in rows %}
        {{ make_struct(zip(columns, row)) }}{{ ',' if not loop.last }}
        {%- endfor %}
    )) as {{ alias }}
{%- endmacro %}

{#- One row per day (or `step`, e.g. '1 month') from the date `first_day` to the date `last_day`,
    both included, as the relation `alias` with the DATE column `column`; written after `from`, or
    after `cross join` where the bounds come from the relation before it. -#}
{% macro date_series(first_day, last_day, alias, column, step='1 day') -%}
    {{ return(adapter.dispatch('date_series')(first_day, last_day, alias, column, step)) }}
{%- endmacro %}

{% macro duckdb__date_series(first_day, last_day, alias, column, step) -%}
    (
        select cast(day_at as date) as {{ column }}
        from generate_series({{ first_day }}, {{ last_day }}, interval {{ step }}) as days (day_at)
    ) as {{ alias }}
{%- endmacro %}

{% macro spark__date_series(first_day, last_day, alias, column, step) -%}
    lateral explode(
        sequence({{ first_day }}, {{ last_day }}, interval {{ step }})
    ) as {{ alias }} ({{ column }})
{%- endmacro %}

{#- A wall-clock time on a local date: `day` plus a time of day. DuckDB's TIME (24:00:00 is the
    next midnight); on Spark the raw Parquet carries it as text 'HH:MM:SS' (Parquet TIME is not
    readable there). -#}
{% macro date_at_time(day, time_of_day) -%}
    {{ return(adapter.dispatch('date_at_time')(day, time_of_day)) }}
{%- endmacro %}

{% macro duckdb__date_at_time(day, time_of_day) -%}
    {{ day }} + {{ time_of_day }}
{%- endmacro %}

{% macro spark__date_at_time(day, time_of_day) -%}
    cast({{ day }} as timestamp_ntz) + make_dt_interval(
        0,
        cast(split_part({{ time_of_day }}, ':', 1) as int),
        cast(split_part({{ time_of_day }}, ':', 2) as int),
        cast(split_part({{ time_of_day }}, ':', 3) as decimal(8, 6))
    )
{%- endmacro %}

{#- Integer division (DuckDB's //, Spark's div). -#}
{% macro int_div(dividend, divisor) -%}
    {{ return(adapter.dispatch('int_div')(dividend, divisor)) }}
{%- endmacro %}

{% macro duckdb__int_div(dividend, divisor) -%}
    (({{ dividend }}) // ({{ divisor }}))
{%- endmacro %}

{% macro spark__int_div(dividend, divisor) -%}
    (({{ dividend }}) div ({{ divisor }}))
{%- endmacro %}

{#- An instant plus a whole number of microseconds. -#}
{% macro add_microseconds(at, micros) -%}
    {{ return(adapter.dispatch('add_microseconds')(at, micros)) }}
{%- endmacro %}

{% macro duckdb__add_microseconds(at, micros) -%}
    {{ at }} + to_microseconds({{ micros }})
{%- endmacro %}

{% macro spark__add_microseconds(at, micros) -%}
    timestamp_micros(unix_micros({{ at }}) + {{ micros }})
{%- endmacro %}

{#- Is the instant finite (not timestamptz_infinity())? -#}
{% macro is_finite(at) -%}
    {{ return(adapter.dispatch('is_finite')(at)) }}
{%- endmacro %}

{% macro duckdb__is_finite(at) -%}
    isfinite({{ at }})
{%- endmacro %}

{% macro spark__is_finite(at) -%}
    {{ at }} < {{ spark__timestamptz_infinity() }}
{%- endmacro %}

{#- Any non-NULL value of the group (DuckDB's any_value skips NULLs; Spark's only when told). -#}
{% macro any_value(expression) -%}
    {{ return(adapter.dispatch('any_value')(expression)) }}
{%- endmacro %}

{% macro duckdb__any_value(expression) -%}
    any_value({{ expression }})
{%- endmacro %}

{% macro spark__any_value(expression) -%}
    any_value({{ expression }}, true)
{%- endmacro %}

{#- One row per element of a list, in a select list (DuckDB's unnest, Spark's explode). -#}
{% macro explode(list) -%}
    {{ return(adapter.dispatch('explode')(list)) }}
{%- endmacro %}

{% macro duckdb__explode(list) -%}
    unnest({{ list }})
{%- endmacro %}

{% macro spark__explode(list) -%}
    explode({{ list }})
{%- endmacro %}

{#- The parts of `text` between the separator (a literal; on Spark a regular expression, so keep
    it a plain character). -#}
{% macro split_string(text, separator) -%}
    {{ return(adapter.dispatch('split_string')(text, separator)) }}
{%- endmacro %}

{% macro duckdb__split_string(text, separator) -%}
    string_split({{ text }}, {{ separator }})
{%- endmacro %}

{% macro spark__split_string(text, separator) -%}
    split({{ text }}, {{ separator }})
{%- endmacro %}

{#- A JSON array of strings (text such as '["A", "B"]') as a list of strings. -#}
{% macro json_string_list(text) -%}
    {{ return(adapter.dispatch('json_string_list')(text)) }}
{%- endmacro %}

{% macro duckdb__json_string_list(text) -%}
    cast({{ text }} as varchar[])
{%- endmacro %}

{% macro spark__json_string_list(text) -%}
    from_json({{ text }}, 'array<string>')
{%- endmacro %}

{#- The text at a JSON path ('$.key') of a JSON document, NULL when absent. -#}
{% macro json_text(document, path) -%}
    {{ return(adapter.dispatch('json_text')(document, path)) }}
{%- endmacro %}

{% macro duckdb__json_text(document, path) -%}
    json_extract_string({{ document }}, {{ path }})
{%- endmacro %}

{% macro spark__json_text(document, path) -%}
    get_json_object({{ document }}, {{ path }})
{%- endmacro %}

{#- printf-style text, C's rules (DuckDB's printf): `printf('met %d of %d (%.0f%%)', ['a', 'b',
    'c'])`, the format as plain text, the arguments as SQL. NULL when an argument is NULL. Spark's
    format_string is Java's, which rounds half up from the shortest decimal of a double (0.15 ->
    0.2, 31.25 -> 31.3) where C rounds the double's exact value, half to even (0.1, 31.2), and
    whose %g keeps trailing zeros; so on Spark each conversion is written out: %s, %d, %.Nf and
    %+.Ng (the ones the models use). -#}
{% macro printf(format, args) -%}
    {{ return(adapter.dispatch('printf')(format, args)) }}
{%- endmacro %}

{% macro duckdb__printf(format, args) -%}
    printf('{{ format | replace("'", "''") }}'{% for a in args %}, {{ a }}{% endfor %})
{%- endmacro %}

{% macro spark__printf(format, args) -%}
    {%- set pieces = [] -%}
    {%- set state = {'text': '', 'arg': 0} -%}
    {%- set tokens = modules.re.split('(%%|%[-+ #0]*[0-9]*(?:\\.[0-9]+)?[a-zA-Z])', format) -%}
    {%- for token in tokens -%}
        {%- if token == '%%' -%}
            {%- do state.update({'text': state.text ~ '%'}) -%}
        {%- elif token.startswith('%') -%}
            {%- if state.text -%}
                {%- do pieces.append("'" ~ state.text ~ "'") -%}
                {%- do state.update({'text': ''}) -%}
            {%- endif -%}
            {%- set value = args[state.arg] -%}
            {%- do state.update({'arg': state.arg + 1}) -%}
            {%- set spec = modules.re.match('^%([+]?)(?:\\.([0-9]+))?([sdfg])$', token) -%}
            {%- if spec is none -%}
                {{ exceptions.raise_compiler_error('printf on Spark: unsupported conversion ' ~ token) }}
            {%- elif spec.group(3) in ('s', 'd') and not spec.group(1) -%}
                {%- do pieces.append('cast(' ~ value ~ ' as string)') -%}
            {%- elif spec.group(3) == 'f' and not spec.group(1) -%}
                {%- do pieces.append(spark__format_fixed(value, (spec.group(2) or '6') | int)) -%}
            {%- elif spec.group(3) == 'g' -%}
                {%- do pieces.append(spark__format_general(value, (spec.group(2) or '6') | int, spec.group(1) == '+')) -%}
            {%- else -%}
                {{ exceptions.raise_compiler_error('printf on Spark: unsupported conversion ' ~ token) }}
            {%- endif -%}
        {%- else -%}
            {%- if "'" in token or '\\' in token -%}
                {{ exceptions.raise_compiler_error('printf on Spark: no quotes or backslashes in the text') }}
            {%- endif -%}
            {%- do state.update({'text': state.text ~ token}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if state.text -%}
        {%- do pieces.append("'" ~ state.text ~ "'") -%}
    {%- endif -%}
    concat({{ pieces | join(', ') }})
{%- endmacro %}

{#- C's %.Nf of a double on Spark: |x| x 10^N rounded to the nearest whole number, an exact tie to
    the even one, judged on the double's exact value: the product's rounding error comes from
    Dekker's exact product (x split in halves of 26 bits; 10^N, N <= 7, needs no split), so the
    fraction is compared with 1/2 exactly. Values up to 2^52 / 10^N. `digits` may be SQL (an
    integer expression). Each intermediate value is bound once by a one-element transform(), so
    the expression stays linear in size however often a part is read; `name` keeps the lambda
    variables of nested calls apart. -#}
{% macro spark__format_fixed(value, digits, name='ff') -%}
    {%- set x, v, w, r, k = name ~ '_x', name ~ '_v', name ~ '_w', name ~ '_r', name ~ '_k' -%}
    element_at(transform(array(cast({{ value }} as double)), {{ x }} ->
        element_at(transform(array(named_struct(
            'a', abs({{ x }}), 's', power(10, {{ digits }}), 'd', cast({{ digits }} as int)
        )), {{ v }} ->
            element_at(transform(array(named_struct(
                'p', {{ v }}.a * {{ v }}.s,
                'h', {{ v }}.a * cast(134217729 as double)
                    - ({{ v }}.a * cast(134217729 as double) - {{ v }}.a)
            )), {{ w }} ->
                element_at(transform(array(named_struct(
                    'f', floor({{ w }}.p),
                    'e', ({{ w }}.h * {{ v }}.s - {{ w }}.p) + ({{ v }}.a - {{ w }}.h) * {{ v }}.s,
                    'g', ({{ w }}.p - floor({{ w }}.p)) - 0.5
                )), {{ r }} ->
                    element_at(transform(array(
                        {{ r }}.f + case
                            when {{ r }}.g > 0 or ({{ r }}.g = 0 and {{ r }}.e > 0) then 1
                            when {{ r }}.g < 0 or ({{ r }}.g = 0 and {{ r }}.e < 0) then 0
                            else pmod({{ r }}.f, 2)
                        end
                    ), {{ k }} ->
                        concat(
                            case when {{ x }} < 0 then '-' else '' end,
                            cast({{ k }} div cast({{ v }}.s as bigint) as string),
                            case
                                when {{ v }}.d > 0 then concat(
                                    '.',
                                    lpad(cast({{ k }} % cast({{ v }}.s as bigint) as string), {{ v }}.d, '0')
                                )
                                else ''
                            end
                        )
                    ), 1)
                ), 1)
            ), 1)
        ), 1)
    ), 1)
{%- endmacro %}

{#- C's %.Pg (with + when `plus`): P significant digits; fixed notation when the exponent X of the
    rounded value is -4 <= X < P, else d.ddde+XX; trailing zeros and point removed. The
    scientific form divides by a power of ten first, so a value lying on a decimal tie there
    (1.2345e-05 to 4 digits) may round the other way than C; the fixed form is exact. -#}
{% macro spark__format_general(value, precision, plus, name='fg') -%}
    {%- set x, e0, e = name ~ '_x', name ~ '_e0', name ~ '_e' -%}
    {%- set strip = "regexp_replace(regexp_replace({}, '(\\\\.[0-9]*[1-9])0+$', '$1'), '\\\\.0*$', '')" -%}
    element_at(transform(array(cast({{ value }} as double)), {{ x }} ->
        case
            when {{ x }} is null then null
            when {{ x }} = 0 then '{{ "+" if plus }}0'
            else element_at(transform(array(cast(floor(log10(abs({{ x }}))) as int)), {{ e0 }} ->
                {#- rounding up to the next power of ten (9.99996 -> 10.000) adds a digit -#}
                element_at(transform(array({{ e0 }} + case
                    when abs(cast({{ spark__format_fixed(x, 'greatest(' ~ (precision - 1) ~ ' - ' ~ e0 ~ ', 0)', name ~ 'a') }} as double))
                        >= power(10, {{ e0 }} + 1) then 1
                    else 0
                end), {{ e }} ->
                    concat(
                        {{ "case when " ~ x ~ " >= 0 then '+' else '' end," if plus }}
                        case
                            when {{ e }} >= -4 and {{ e }} < {{ precision }} then {{ strip.format(
                                spark__format_fixed(x, 'greatest(' ~ (precision - 1) ~ ' - ' ~ e ~ ', 0)', name ~ 'b')
                            ) }}
                            else concat(
                                {{ strip.format(spark__format_fixed(
                                    x ~ ' / power(10, ' ~ e ~ ')', precision - 1, name ~ 'c'
                                )) }},
                                'e',
                                case when {{ e }} < 0 then '-' else '+' end,
                                lpad(cast(abs({{ e }}) as string), 2, '0')
                            )
                        end
                    )
                ), 1)
            ), 1)
        end
    ), 1)
{%- endmacro %}

{#- An aggregate whose floating-point sums follow `order_by` (DuckDB's `f(args order by ...)`);
    Spark's aggregates take no order, so there they sum in the order the rows arrive. regr_slope
    of rows whose x never varies (one month) is NaN on DuckDB (0 / 0) and NULL on Spark: made NaN. -#}
{% macro ordered_aggregate(function, args, order_by) -%}
    {{ return(adapter.dispatch('ordered_aggregate')(function, args, order_by)) }}
{%- endmacro %}

{% macro duckdb__ordered_aggregate(function, args, order_by) -%}
    {{ function }}({{ args }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__ordered_aggregate(function, args, order_by) -%}
    {%- if function == 'regr_slope' -%}
        coalesce(regr_slope({{ args }}), case when regr_count({{ args }}) > 0 then double('NaN') end)
    {%- else -%}
        {{ function }}({{ args }})
    {%- endif -%}
{%- endmacro %}

{#- A number of calendar months as an interval. -#}
{% macro months_interval(months) -%}
    {{ return(adapter.dispatch('months_interval')(months)) }}
{%- endmacro %}

{% macro duckdb__months_interval(months) -%}
    to_months({{ months }})
{%- endmacro %}

{% macro spark__months_interval(months) -%}
    make_ym_interval(0, {{ months }})
{%- endmacro %}

{#- Lists of strings: the type, an empty one, the non-NULL ones of `items` (a list of SQL), several
    joined end to end, and the length. -#}
{% macro type_string_list() -%}
    {{ return(adapter.dispatch('type_string_list')()) }}
{%- endmacro %}

{% macro duckdb__type_string_list() -%}
    varchar[]
{%- endmacro %}

{% macro spark__type_string_list() -%}
    array<string>
{%- endmacro %}

{% macro empty_string_list() -%}
    {{ return(adapter.dispatch('empty_string_list')()) }}
{%- endmacro %}

{% macro duckdb__empty_string_list() -%}
    []
{%- endmacro %}

{% macro spark__empty_string_list() -%}
    cast(array() as array<string>)
{%- endmacro %}

{% macro non_null_list(items) -%}
    {{ return(adapter.dispatch('non_null_list')(items)) }}
{%- endmacro %}

{% macro duckdb__non_null_list(items) -%}
    list_filter([{{ items | join(', ') }}], lambda c: c is not null)
{%- endmacro %}

{% macro spark__non_null_list(items) -%}
    filter(array({{ items | join(', ') }}), c -> c is not null)
{%- endmacro %}

{% macro list_concat(lists) -%}
    {{ return(adapter.dispatch('list_concat')(lists)) }}
{%- endmacro %}

{% macro duckdb__list_concat(lists) -%}
    list_concat({{ lists | join(', ') }})
{%- endmacro %}

{% macro spark__list_concat(lists) -%}
    concat({{ lists | join(', ') }})
{%- endmacro %}

{% macro list_length(list) -%}
    {{ return(adapter.dispatch('list_length')(list)) }}
{%- endmacro %}

{% macro duckdb__list_length(list) -%}
    len({{ list }})
{%- endmacro %}

{% macro spark__list_length(list) -%}
    size({{ list }})
{%- endmacro %}

{#- The lists of a group's rows joined end to end, in the order of `order_by` (one expression). -#}
{% macro ordered_list_concat_agg(list, order_by) -%}
    {{ return(adapter.dispatch('ordered_list_concat_agg')(list, order_by)) }}
{%- endmacro %}

{% macro duckdb__ordered_list_concat_agg(list, order_by) -%}
    flatten(list({{ list }} order by {{ order_by }}))
{%- endmacro %}

{% macro spark__ordered_list_concat_agg(list, order_by) -%}
    flatten(transform(
        array_sort(collect_list(named_struct('k', {{ order_by }}, 'v', {{ list }}))), s -> s.v
    ))
{%- endmacro %}

{#- The group's non-NULL `value`s where `where` holds, joined by `separator` in the order of
    `order_by` (a list of SQL); NULL when there are none (string_agg ... order by ... filter). -#}
{% macro ordered_string_agg(value, separator, order_by, where='true') -%}
    {{ return(adapter.dispatch('ordered_string_agg')(value, separator, order_by, where)) }}
{%- endmacro %}

{% macro duckdb__ordered_string_agg(value, separator, order_by, where) -%}
    string_agg(
        {{ value }},
        {{ separator }}
        order by {{ order_by | join(', ') }}
    ) filter (where {{ where }})
{%- endmacro %}

{% macro spark__ordered_string_agg(value, separator, order_by, where) -%}
    case
        when count({{ value }}) filter (where {{ where }}) > 0
            then array_join(transform(
                array_sort(collect_list(named_struct(
                    {%- for o in order_by %}'k{{ loop.index }}', {{ o }}, {% endfor -%}
                    'v', {{ value }}
                )) filter (where {{ where }})),
                s -> s.v
            ), {{ separator }})
    end
{%- endmacro %}

{#- A select list of one NULL per column of `columns` (a list of (name, type)), typed. -#}
{% macro typed_nulls(columns) -%}
    {%- for name, type in columns %}
        cast(null as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- `union all by name` of the model `relation` onto a select with the columns `columns` (a list of
    (name, type)), written after that select: a column the model lacks is NULL. Spark has no union
    by name, so there the model's columns are looked up and put in order. -#}
{% macro union_all_by_name(relation, columns) -%}
    {{ return(adapter.dispatch('union_all_by_name')(relation, columns)) }}
{%- endmacro %}

{% macro duckdb__union_all_by_name(relation, columns) -%}
    union all by name
    select * from {{ relation }}
{%- endmacro %}

{% macro spark__union_all_by_name(relation, columns) -%}
    {%- set present = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do present.append(column.name | lower) -%}
        {%- endfor -%}
    {%- endif %}
    union all
    select
        {%- for name, type in columns %}
        {{ name if name in present else 'cast(null as ' ~ type ~ ') as ' ~ name }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
{%- endmacro %}

{#- Is `zone` a time zone name the engine knows (tests/generic/valid_time_zone.sql)? -#}
{% macro is_known_time_zone(zone) -%}
    {{ return(adapter.dispatch('is_known_time_zone')(zone)) }}
{%- endmacro %}

{% macro duckdb__is_known_time_zone(zone) -%}
    ({{ zone }} in (select tz.name from pg_timezone_names() as tz))
{%- endmacro %}

{% macro spark__is_known_time_zone(zone) -%}
    (try_reflect('java.time.ZoneId', 'of', {{ zone }}) is not null)
{%- endmacro %}

{#- A field of a struct column (DuckDB's struct_extract; on Spark, struct.field). -#}
{% macro struct_field(struct, field) -%}
    {{ return(adapter.dispatch('struct_field')(struct, field)) }}
{%- endmacro %}

{% macro duckdb__struct_field(struct, field) -%}
    struct_extract({{ struct }}, '{{ field }}')
{%- endmacro %}

{% macro spark__struct_field(struct, field) -%}
    {{ struct }}.{{ field }}
{%- endmacro %}

{#- Whole calendar months from `start` to `end` (month boundaries crossed; DuckDB's date_diff('month')),
    a BIGINT. -#}
{% macro months_between(start, end) -%}
    {{ return(adapter.dispatch('months_between')(start, end)) }}
{%- endmacro %}

{% macro duckdb__months_between(start, end) -%}
    date_diff('month', {{ start }}, {{ end }})
{%- endmacro %}

{% macro spark__months_between(start, end) -%}
    cast((year({{ end }}) - year({{ start }})) * 12 + month({{ end }}) - month({{ start }}) as bigint)
{%- endmacro %}
