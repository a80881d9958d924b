SELECT a, b::int FROM t WHERE x = $1 AND y <> 'it''s' -- c
/* a /* b */ */ ORDER BY 1