-- The tier_budget_split seed splits the whole marketing budget: its shares add up to 1.
select sum(budget_share) as total_share
from {{ ref('tier_budget_split') }}
having abs(sum(budget_share) - 1) > 1e-9
