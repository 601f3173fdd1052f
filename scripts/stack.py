#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Keep the fork tree (a git repository) and patches/ (a quilt series) in step.

  stack.py tree   BASE_REPO BASE_TAG TREE PATCHES
  stack.py export TREE PATCHES
  stack.py check  TREE PATCHES

tree:   materialize TREE as the base commit (tag "base") plus one commit per
        patch of the series (git am -3), on branch "fork".  A tree that
        already matches patches/ is left alone; one that holds work not in
        patches/ is never overwritten.
export: write base..HEAD back to patches/, with output that does not churn
        (zero commit ids, no signature, names from the subject with no
        number), keeping the comment headers of the series file.  patches/
        is replaced as a whole, never half-written.
check:  exit 1 and name what the tree holds that patches/ does not.
"""

import difflib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

STATE = "napifork"          # directory under TREE/.git with our sync state


def die(msg):
    print(f"stack: {msg}", file=sys.stderr)
    sys.exit(1)


def git(tree, *args, check=True, capture=True, env=None):
    cmd = ["git", "-C", tree] + list(args)
    res = subprocess.run(cmd, text=True, env=env,
                         stdout=subprocess.PIPE if capture else None,
                         stderr=subprocess.PIPE if capture else None)
    if check and res.returncode:
        die(f"'git {' '.join(args)}' failed:\n{res.stderr or ''}{res.stdout or ''}")
    return res.stdout.strip() if capture else ""


def read_series(patches):
    """Return (entries, trailer): entries are (comment_lines, name)."""
    entries, pending = [], []
    path = os.path.join(patches, "series")
    if not os.path.exists(path):
        return [], []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                pending.append(line)
            else:
                entries.append((pending, stripped.split()[0]))
                pending = []
    return entries, pending


def patch_names(patches):
    return [name for _, name in read_series(patches)[0]]


def patches_digest(patches):
    """Hash of the series (names in order, no comments) and patch contents."""
    h = hashlib.sha256()
    for name in patch_names(patches):
        h.update(name.encode() + b"\0")
        with open(os.path.join(patches, name), "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def state_dir(tree):
    d = os.path.join(git(tree, "rev-parse", "--absolute-git-dir"), STATE)
    os.makedirs(d, exist_ok=True)
    return d


def state_get(tree, key):
    try:
        with open(os.path.join(state_dir(tree), key)) as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


def state_set(tree, **kv):
    d = state_dir(tree)
    for key, val in kv.items():
        with open(os.path.join(d, key), "w") as f:
            f.write(val + "\n")


def busy(tree):
    gd = git(tree, "rev-parse", "--absolute-git-dir")
    for what in ("rebase-apply", "rebase-merge", "MERGE_HEAD", "CHERRY_PICK_HEAD",
                 "REVERT_HEAD", "BISECT_LOG"):
        if os.path.exists(os.path.join(gd, what)):
            return what
    return None


def dirty(tree):
    out = git(tree, "status", "--porcelain", "--untracked-files=all")
    return [line for line in out.splitlines() if line]


def format_patches(tree, outdir):
    """git format-patch base..HEAD into outdir; return the names in order."""
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null")
    raw = tempfile.mkdtemp(dir=outdir)
    git(tree, "-c", "core.abbrev=12", "format-patch", "-q", "--zero-commit",
        "--no-signature", "--no-numbered", "--no-thread", "--no-cover-letter",
        "--diff-algorithm=myers", "--no-color", "--stat=72", "--abbrev=12",
        "--filename-max-length=128", "-o", raw, "base..HEAD", env=env)
    names = []
    for fname in sorted(os.listdir(raw)):
        name = re.sub(r"^[0-9]+-", "", fname)
        stem, n = name[:-len(".patch")], 2
        while name in names:
            name, n = f"{stem}-{n}.patch", n + 1
        os.rename(os.path.join(raw, fname), os.path.join(outdir, name))
        names.append(name)
    os.rmdir(raw)
    return names


def write_series(path, names, old_entries, old_trailer):
    """Series for names, keeping the comment headers of the old series.

    A header stays with the patch it stood before; a patch whose name
    changed (a reworded subject) at the same place keeps it too.  The header
    of a removed patch moves to the next patch that is kept.
    """
    old_names = [name for _, name in old_entries]
    heads, carried = {}, []
    sm = difflib.SequenceMatcher(a=old_names, b=names, autojunk=False)
    for _, i1, i2, j1, j2 in sm.get_opcodes():
        paired = min(i2 - i1, j2 - j1)  # equal, or replaced one for one
        for k in range(i2 - i1):
            if k < paired:
                heads[j1 + k] = carried + old_entries[i1 + k][0]
                carried = []
            else:
                carried += old_entries[i1 + k][0]
    lines = []
    for j, name in enumerate(names):
        lines += heads.get(j, [])
        lines.append(name)
    lines += carried + old_trailer
    with open(path, "w") as f:
        f.write("".join(line + "\n" for line in lines))


def same(a, b, names):
    for name in names:
        pa, pb = os.path.join(a, name), os.path.join(b, name)
        if not os.path.exists(pb):
            return False
        with open(pa, "rb") as fa, open(pb, "rb") as fb:
            if fa.read() != fb.read():
                return False
    return True


def compare(tree, patches):
    """Return a list of human-readable differences tree -> patches/."""
    problems = []
    if busy(tree):
        problems.append(f"a git operation is in progress in {tree} ({busy(tree)})")
    for line in dirty(tree):
        problems.append(f"uncommitted change in the tree: {line}")
    with tempfile.TemporaryDirectory() as tmp:
        names = format_patches(tree, tmp)
        have = patch_names(patches)
        subjects = git(tree, "log", "--reverse", "--no-merges", "--format=%s",
                       "base..HEAD").splitlines()
        for name, subj in zip(names, subjects):
            path = os.path.join(patches, name)
            if name not in have or not os.path.exists(path):
                problems.append(f"commit not in patches/: {subj} ({name})")
            elif not same(tmp, patches, [name]):
                problems.append(f"commit differs from patches/{name}: {subj}")
        for name in have:
            if name not in names:
                problems.append(f"patches/{name} is not in the tree")
        if not problems and names != have:
            problems.append("the tree's commits are in another order than patches/series")
    return problems


def cmd_export(tree, patches):
    if busy(tree):
        die(f"a git operation is in progress in {tree} ({busy(tree)}); finish it first")
    if dirty(tree):
        die("the tree has uncommitted changes; commit them (or git commit --fixup and "
            "git rebase -i --autosquash base) before exporting:\n  "
            + "\n  ".join(dirty(tree)))
    synced = state_get(tree, "synced")
    if os.path.isdir(patches) and synced and synced != patches_digest(patches):
        die(f"{patches} changed since the tree was last in step with it (a pull or "
            f"an edit?); exporting would overwrite that.  Run 'make tree' to apply "
            f"it to the tree, or restore patches/ with git.")
    if git(tree, "rev-list", "--merges", "base..HEAD"):
        die("base..HEAD holds merge commits; a patch stack cannot express them: "
            "rebase onto base first")
    extra = [f for f in os.listdir(patches) if f != "series" and f not in patch_names(patches)] \
        if os.path.isdir(patches) else []
    if extra:
        die(f"{patches} holds files the series does not name ({', '.join(sorted(extra))}); "
            f"add them to the series or move them away before exporting")
    parent = os.path.dirname(os.path.abspath(patches))
    old_entries, old_trailer = read_series(patches)
    new = tempfile.mkdtemp(prefix=".patches.new.", dir=parent)
    try:
        names = format_patches(tree, new)
        write_series(os.path.join(new, "series"), names, old_entries, old_trailer)
        unchanged = (os.path.isdir(patches) and
                     sorted(os.listdir(patches)) == sorted(os.listdir(new)) and
                     same(new, patches, names + ["series"]))
        if unchanged:
            shutil.rmtree(new)
            print("stack: patches/ is up to date")
        else:
            # Swap directories: patches/ is complete before and after,
            # never a mix of old and new files.
            os.chmod(new, 0o755)
            old = None
            if os.path.exists(patches):
                old = tempfile.mkdtemp(prefix=".patches.old.", dir=parent)
                os.rmdir(old)
                os.rename(patches, old)
            os.rename(new, patches)
            if old:
                shutil.rmtree(old)
            print(f"stack: exported {len(names)} patches to {patches}")
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    state_set(tree, synced=patches_digest(patches), head=git(tree, "rev-parse", "HEAD"))


def cmd_check(tree, patches):
    if not os.path.isdir(os.path.join(tree, ".git")):
        return 0                        # no tree, nothing unexported
    problems = compare(tree, patches)
    for p in problems:
        print(f"export-check: {p}")
    if problems:
        print("export-check: run 'make export' and commit patches/", file=sys.stderr)
    return 1 if problems else 0


def apply_series(tree, patches):
    for name in patch_names(patches):
        path = os.path.abspath(os.path.join(patches, name))
        res = subprocess.run(["git", "-C", tree, "am", "-q", "--3way", "--keep-cr", path],
                             text=True, capture_output=True)
        if res.returncode:
            print(res.stdout + res.stderr, file=sys.stderr)
            # After 'git am --abort' the tree is as recorded here, so the
            # next 'make tree' starts over from base.
            state_set(tree, synced="", head=git(tree, "rev-parse", "HEAD"))
            die(f"patch {name} does not apply; the tree is left in 'git am' at that "
                f"patch: resolve in {tree}, 'git am --continue', then 'make export' "
                f"(or 'git am --abort' and fix patches/{name})")
    state_set(tree, synced=patches_digest(patches), head=git(tree, "rev-parse", "HEAD"))


def cmd_tree(base_repo, base_tag, tree, patches):
    for name in patch_names(patches):
        if not os.path.exists(os.path.join(patches, name)):
            die(f"patches/series names {name}, which does not exist")
    if not os.path.isdir(os.path.join(tree, ".git")):
        os.makedirs(os.path.dirname(os.path.abspath(tree)), exist_ok=True)
        subprocess.run(["git", "clone", "-q", "--no-checkout", base_repo, tree], check=True)
        git(tree, "config", "user.name", git(tree, "config", "user.name", check=False) or "napifork")
        git(tree, "config", "user.email",
            git(tree, "config", "user.email", check=False) or "napifork@localhost")
        git(tree, "config", "gc.auto", "0")
        git(tree, "checkout", "-q", "-b", "fork", base_tag, capture=False)
        for branch in git(tree, "for-each-ref", "--format=%(refname:short)",
                          "refs/heads/").splitlines():
            if branch != "fork":        # only "fork"; "base" is a tag
                git(tree, "branch", "-q", "-D", branch)
        git(tree, "tag", "-f", "base", base_tag)
        state_set(tree, base=base_tag)
        apply_series(tree, patches)
        print(f"stack: {tree} is {base_tag} + {len(patch_names(patches))} patches")
        return

    if busy(tree):
        die(f"a git operation is in progress in {tree} ({busy(tree)}); finish it first")
    same_base = state_get(tree, "base") == base_tag
    if same_base and state_get(tree, "synced") == patches_digest(patches):
        return                          # patches/ unchanged since the tree was synced
    untouched = (state_get(tree, "head") == git(tree, "rev-parse", "HEAD")
                 and not dirty(tree))
    if not untouched and not compare(tree, patches) and same_base:
        state_set(tree, synced=patches_digest(patches), head=git(tree, "rev-parse", "HEAD"))
        return
    if not untouched:
        die(f"both patches/ (or the base) and {tree} changed since they were last in step.\n"
            f"  Export the tree's work first ('make export', then merge in git),\n"
            f"  or drop it with 'rm -rf {tree}'.")
    if not same_base:
        subprocess.run(["git", "-C", tree, "fetch", "-q", base_repo,
                        f"refs/tags/{base_tag}:refs/tags/{base_tag}"], check=True)
        git(tree, "tag", "-f", "base", base_tag)
        state_set(tree, base=base_tag)
    git(tree, "reset", "-q", "--hard", "base")
    apply_series(tree, patches)
    print(f"stack: {tree} re-applied: {base_tag} + {len(patch_names(patches))} patches")


def main(argv):
    if len(argv) >= 2 and argv[1] == "tree" and len(argv) == 6:
        cmd_tree(*argv[2:])
    elif len(argv) == 4 and argv[1] == "export":
        cmd_export(*argv[2:])
    elif len(argv) == 4 and argv[1] == "check":
        return cmd_check(*argv[2:])
    else:
        die(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
