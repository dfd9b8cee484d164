{#- A user id as it may pass staging: itself, or sha256(salt || id) with the var hash_user_id
    (docs/definitions.md, section 9). Erasure matches the clear id before this runs. Without a
    salt the hash of an id could be looked up, so that combination stops the run. -#}
{% macro pseudonymised(expr) -%}
    {%- if var_flag('hash_user_id', false) -%}
        {%- if execute and not pii_salt_available() -%}
            {{ exceptions.raise_compiler_error(
                "hash_user_id is true but the environment variable BEHAVIORAL_SEGMENTS_PII_SALT is not set: "
                ~ "unsalted hashes of user ids can be reversed. Set a secret salt.") }}
        {%- endif -%}
        {{ hash_pii(expr) }}
    {%- else -%}
        {{ expr }}
    {%- endif -%}
{%- endmacro %}
