#!/usr/bin/python3
"""Run a command under the system call filter of a systemd unit.

    seccomp-exec.py UNIT -- CMD [ARG...]

Reads the SystemCallFilter= lines of UNIT in order, expands the @groups with
the installed systemd's own tables (systemd-analyze syscall-filter), and
execs CMD with that allow list loaded as a seccomp filter; a call outside it
fails with the unit's SystemCallErrorNumber (EPERM by default here), as
under systemd. Used by unit-sandbox.sh, where systemd is not PID 1 and the
unit cannot be started for real. Needs python3-seccomp (libseccomp) and
no_new_privs set by the caller (setpriv --no-new-privs).
"""

import errno
import os
import subprocess
import sys

import seccomp


def groups():
    out = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager"],
                         check=True, capture_output=True, text=True).stdout
    g, cur = {}, None
    for line in out.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if not line.startswith(" ") and s.startswith("@"):
            cur = s
            g[cur] = []
        elif cur:
            g[cur].append(s)
    return g


def expand(names, g, seen=None):
    seen = set() if seen is None else seen
    out = set()
    for n in names:
        if n.startswith("@"):
            if n in seen:
                continue
            seen.add(n)
            if n not in g:
                sys.exit(f"seccomp-exec: unknown group {n}")
            out |= expand(g[n], g, seen)
        else:
            out.add(n)
    return out


def unit_filter(path):
    lines, errno_name = [], "EPERM"
    section = ""
    with open(path) as f:
        for raw in f:
            s = raw.strip()
            if s.startswith("["):
                section = s
                continue
            if section != "[Service]" or "=" not in s or s.startswith("#"):
                continue
            k, v = s.split("=", 1)
            if k == "SystemCallFilter":
                lines.append(v)
            elif k == "SystemCallErrorNumber":
                errno_name = v
    if not lines:
        sys.exit(f"seccomp-exec: {path} has no SystemCallFilter")
    return lines, errno_name


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit("usage: seccomp-exec.py UNIT -- CMD [ARG...]")
    lines, errno_name = unit_filter(sys.argv[1])
    g = groups()
    if lines[0].startswith("~"):
        sys.exit("seccomp-exec: only allow lists (the first SystemCallFilter= without ~)")
    allowed = set()
    for v in lines:  # systemd applies the lines in order
        deny = v.startswith("~")
        names = expand(v.lstrip("~").split(), g)
        allowed = allowed - names if deny else allowed | names
    f = seccomp.SyscallFilter(defaction=seccomp.ERRNO(getattr(errno, errno_name)))
    unknown = []
    for name in sorted(allowed):
        try:
            f.add_rule(seccomp.ALLOW, name)
        except (RuntimeError, ValueError, OSError):
            unknown.append(name)  # not a call of this architecture
    sys.stderr.write(f"seccomp-exec: {len(allowed) - len(unknown)} system calls allowed "
                     f"(bpf {'allowed' if 'bpf' in allowed else 'DENIED'}), others fail with {errno_name}\n")
    f.load()
    os.execvp(sys.argv[3], sys.argv[3:])


if __name__ == "__main__":
    main()
