import os, re, sys, json, collections
root, repo, commit, limit, lang, ext = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
class_re = re.compile(r'^(\s*)(?:export\s+)?(?:default\s+)?(?:abstract\s+)?class\s+(\w+)(?:<[^{]*?>)?(?:\s+extends\s+([\w.]+))?')
classes = collections.defaultdict(list)
files = {}
for dp, dn, fn in os.walk(root):
    for f in fn:
        if not f.endswith(ext) or f.endswith('.d.ts'): continue
        p = os.path.join(dp, f); rel = os.path.relpath(p, root)
        lines = open(p, errors='replace').read().split('\n'); files[rel] = lines
        for i, l in enumerate(lines):
            m = class_re.match(l)
            if not m: continue
            indent = len(m.group(1))
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith(' ' * indent + '}') and (len(lines[j]) - len(lines[j].lstrip())) == indent), None)
            if end is None: continue
            base = m.group(3).split('.')[-1] if m.group(3) else None
            classes[m.group(2)].append((rel, i, end, indent, base))
mods = r'(?:(?:public|protected|private|static|async|readonly|abstract|override|get|set|declare)\s+)*'
def members(c):
    rel, start, end, indent, base = c
    lines = files[rel]; m = {}
    mi = None
    for i in range(start + 1, end):
        l = lines[i]
        if not l.strip(): continue
        ind = len(l) - len(l.lstrip())
        if mi is None: mi = ind
        if ind != mi: continue
        mm = re.match(r'\s*' + mods + r'#?(\w+)\s*[(<:=?!;]', l)
        if mm and mm.group(1) not in ('constructor', 'if', 'return'): m.setdefault(mm.group(1), (i, l.rstrip().endswith(('{', '(', ',')) and '(' in l))
    return m, mi
def methods(c):
    rel, start, end, indent, base = c
    lines = files[rel]; ms, mi = members(c); out = []
    for name, (i, is_method) in ms.items():
        if not is_method: continue
        j = next((k for k in range(i + 1, end) if lines[k].startswith(' ' * mi + '}') and len(lines[k]) - len(lines[k].lstrip()) == mi), None)
        if j and j - i >= 3: out.append((name, i, j))
    return out
def ancestors(c):
    out, seen, cur, d = [], set(), c, 0
    while cur[4] and d < 4:
        b = cur[4]; defs = classes.get(b, [])
        if len(defs) != 1 or b in seen: break
        seen.add(b); out.append((b, defs[0])); cur = defs[0]; d += 1
    return out
tasks = []
for name in sorted(classes):
    for c in classes[name]:
        anc = ancestors(c)
        if not anc: continue
        own, _ = members(c)
        lines = files[c[0]]
        for mname, i, j in sorted(methods(c), key=lambda t: t[1]):
            # skip multi-line signatures: body starts after the line ending with '{'
            bs = next((k for k in range(i, j) if lines[k].rstrip().endswith('{')), None)
            if bs is None: continue
            body = '\n'.join(lines[bs + 1:j])
            used = []
            for u in re.findall(r'(?:this|super)\.(\w+)', body):
                if u in own or u in [x[0] for x in used]: continue
                for bname, a in anc:
                    am, _ = members(a)
                    if u in am:
                        if a[0] != c[0]: used.append((u, a[0], am[u][0], bname))
                        break
            if not used: continue
            first = bs + 1
            while first < j and not lines[first].strip(): first += 1
            tasks.append({"id": "", "lang": lang, "repo": repo, "commit": commit, "file": c[0], "function": f"{name}.{mname}",
                "cursor": {"line": first, "character": len(lines[first]) - len(lines[first].lstrip())},
                "body_range": {"start_line": bs + 1, "end_line": j}, "open": [c[0]],
                "expect": [{"name": u[0], "kind": "method", "file": u[1], "line": u[2], "qualified": f"{u[3]}.{u[0]}"} for u in used[:6]]})
step = max(1, len(tasks) / limit)
chosen = [tasks[int(i * step)] for i in range(min(limit, len(tasks)))]
short = repo.split('/')[1]
pre = {"typescript": "ts", "javascript": "js"}[lang]
for i, t in enumerate(chosen): t["id"] = f"{pre}-{short}-inh-{i+1:02d}"; print(json.dumps(t))
print(len(tasks), "candidates", file=sys.stderr)
