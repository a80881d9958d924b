SELECT id /* secret */ FROM orders -- WHERE secret = 1
WHERE region = $$eu'--$$