{#- The fitted parameters each snapshot's scores use, one row per snapshot_name, read from
    clv_model_fits' JSON: BG/NBD (r, alpha, a, b) and Gamma-Gamma (p, q, v) where the fit
    converged (null otherwise: the scores fall back), the seasonal factors and Cox's purchases
    per returning customer. -#}

{#- A view: one model reads it, and a table would only add a write. -#}
{{ config(materialized='view') }}

with

clv_model_fits as (

    select * from {{ ref('clv_model_fits') }}

),

parameters as (

    select
        snapshot_name,
        {%- for key in ['r', 'alpha', 'a', 'b'] %}
            max(
                case
                    when model_name = 'bgnbd' and converged then {{ json_number('parameters_json', key) }}
                end
            )
                as bgnbd_{{ key }},
        {%- endfor %}
        {%- for key in ['p', 'q', 'v'] %}
            max(
                case
                    when
                        model_name = 'gamma_gamma' and converged
                        then {{ json_number('parameters_json', key) }}
                end
            )
                as gamma_gamma_{{ key }},
        {%- endfor %}
        max(
            case
                when model_name = 'seasonality' then {{ json_number('parameters_json', 'window_factor') }}
            end
        )
            as window_factor,
        max(
            case
                when model_name = 'seasonality' then {{ json_number('parameters_json', 'xgboost_factor') }}
            end
        )
            as xgboost_factor,
        max(
            case
                when model_name = 'cox' then {{ json_number('parameters_json', 'purchases_given_return') }}
            end
        )
            as purchases_given_return

    from clv_model_fits
    group by 1

)

select * from parameters
