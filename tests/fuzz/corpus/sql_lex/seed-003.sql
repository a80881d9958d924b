SELECT 'a'
'b' 'c', $$x$$, $tag$a$$b$tag$