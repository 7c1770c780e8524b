import ast, os, sys, json, collections
root, repo, commit, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
classes = collections.defaultdict(list)  # name -> [(file, ClassDef)]
for dp, dn, fn in os.walk(root):
    for f in fn:
        if not f.endswith('.py'): continue
        p = os.path.join(dp, f); rel = os.path.relpath(p, root)
        if '/tests/' in '/'+rel or rel.startswith('tests'): continue
        try: tree = ast.parse(open(p).read())
        except Exception: continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                classes[node.name].append((rel, node))
def base_names(c):
    out = []
    for b in c.bases:
        if isinstance(b, ast.Subscript): b = b.value
        if isinstance(b, ast.Name): out.append(b.id)
        elif isinstance(b, ast.Attribute): out.append(b.attr)
    return out
def members(c):
    m = {}
    for s in c.body:
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)): m.setdefault(s.name, s.lineno - 1)
        elif isinstance(s, ast.Assign):
            for t in s.targets:
                if isinstance(t, ast.Name): m.setdefault(t.id, s.lineno - 1)
        elif isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name): m.setdefault(s.target.id, s.lineno - 1)
    return m
def ancestors(c):
    out, seen, q = [], set(), [(c, 0)]
    while q:
        cls, d = q.pop(0)
        for b in base_names(cls):
            defs = classes.get(b, [])
            if len(defs) != 1 or b in seen or d >= 4: continue
            seen.add(b); out.append(defs[0]); q.append((defs[0][1], d + 1))
    return out
tasks = []
for name in sorted(classes):
    for rel, c in classes[name]:
        anc = ancestors(c)
        if not anc: continue
        own = members(c)
        for f in c.body:
            if not isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) or len(f.body) < 2: continue
            used = []
            for n in ast.walk(f):
                attr = None
                if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == 'self': attr = n.attr
                if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Name) and n.value.func.id == 'super': attr = n.attr
                if attr and attr not in own and attr not in [u[0] for u in used]:
                    for arel, a in anc:
                        am = members(a)
                        if attr in am:
                            if arel != rel: used.append((attr, arel, am[attr], a.name))
                            break
            if not used: continue
            body = f.body
            first = body[1] if isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], 'value', None), ast.Constant) and isinstance(body[0].value.value, str) else body[0]
            tasks.append({"id": "", "lang": "python", "repo": repo, "commit": commit, "file": rel, "function": f"{c.name}.{f.name}",
                "cursor": {"line": first.lineno - 1, "character": first.col_offset},
                "body_range": {"start_line": f.body[0].lineno - 1, "end_line": f.end_lineno - 1},
                "open": [rel], "expect": [{"name": u[0], "kind": "method", "file": u[1], "line": u[2], "qualified": f"{u[3]}.{u[0]}"} for u in used[:6]]})
# even sample
step = max(1, len(tasks) / limit)
chosen = [tasks[int(i * step)] for i in range(min(limit, len(tasks)))]
short = repo.split('/')[1]
for i, t in enumerate(chosen): t["id"] = f"py-{short}-inh-{i+1:02d}"; print(json.dumps(t))
print(len(tasks), "candidates", file=sys.stderr)
