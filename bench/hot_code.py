#!/usr/bin/env python3
"""What the hot path's machine code looks like, from a callgrind profile taken with
--dump-instr=yes. Two reports:

  hot_code.py footprint CALLGRIND_OUT BINARY MIN
      Distinct instructions of BINARY executed at least MIN times, the 64-byte cache lines
      they sit on, and those lines per function: the code a message runs through, against
      the core's 32 KiB L1 instruction cache. Give MIN as the number of messages the run
      handled (e.g. 20001 for `engine_bench --loop CASE 20001`) to see what one message
      touches.

  hot_code.py grep CALLGRIND_OUT BINARY REGEX [MIN]
      Instructions of BINARY whose disassembly matches REGEX, with their execution counts:
      costs callgrind counts as one instruction, such as 'rep stos|div|lock'.

Example: valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file=cg.out \\
           build-prof/bench/engine_bench --loop register/refresh_hot 20001
         bench/hot_code.py footprint cg.out build-prof/bench/engine_bench 20001
"""
import bisect
import collections
import re
import subprocess
import sys


def self_costs(profile, binary):
    """Instruction address -> self cost (Ir), for the code of `binary` only."""
    base = binary.rsplit('/', 1)[-1]
    counts = collections.Counter()
    names, in_binary, last, skip = {}, False, 0, False
    with open(profile) as f:
        for line in f:
            m = re.match(r'^(c?ob)=\((\d+)\)(?: (.*))?$', line.rstrip())
            if m:
                if m.group(3):
                    names[m.group(2)] = m.group(3)
                if m.group(1) == 'ob':
                    in_binary = names.get(m.group(2), '').endswith(base)
                continue
            if line.startswith('calls='):
                skip = True  # the next cost line is the call's inclusive cost
                continue
            m = re.match(r'^(0x[0-9a-f]+|[+-]\d+|\*)\s+(\S+)\s+(\d+)', line)
            if not m:
                continue
            a = m.group(1)
            addr = int(a, 16) if a.startswith('0x') else (last if a == '*' else last + int(a))
            last = addr
            if skip:
                skip = False
                continue
            if in_binary:
                counts[addr] += int(m.group(3))
    return counts


def functions(binary):
    syms = []
    out = subprocess.run(['nm', '-C', '-S', '--defined-only', binary],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        p = line.split(' ', 3)
        if len(p) == 4 and p[2] in 'tTwW':
            syms.append((int(p[0], 16), int(p[1], 16), p[3]))
    syms.sort()
    return syms


def footprint(profile, binary, minimum):
    counts = self_costs(profile, binary)
    syms = functions(binary)
    starts = [s[0] for s in syms]
    lines, insns = collections.defaultdict(set), collections.Counter()
    for addr, c in counts.items():
        if c < minimum:
            continue
        i = bisect.bisect_right(starts, addr) - 1
        name = syms[i][2] if i >= 0 and addr < syms[i][0] + syms[i][1] else '?'
        lines[name].add(addr >> 6)
        insns[name] += 1
    total = sum(len(v) for v in lines.values())
    print(f'{sum(insns.values())} instructions on {total} cache lines ({total * 64 / 1024:.1f} KiB)')
    for name, s in sorted(lines.items(), key=lambda x: -len(x[1])):
        print(f'{len(s) * 64:7d} B {insns[name]:6d} insns  {name[:110]}')


def grep(profile, binary, pattern, minimum):
    counts = self_costs(profile, binary)
    dis = subprocess.run(['objdump', '-d', '--no-show-raw-insn', '-C', binary],
                         capture_output=True, text=True, check=True).stdout
    rx, fn, rows = re.compile(pattern), '', []
    for line in dis.splitlines():
        m = re.match(r'^([0-9a-f]+) <(.*)>:$', line)
        if m:
            fn = m.group(2)
            continue
        m = re.match(r'^\s+([0-9a-f]+):\s+(.*)$', line)
        if m and rx.search(m.group(2)):
            c = counts.get(int(m.group(1), 16), 0)
            if c >= minimum:
                rows.append((c, m.group(2), fn[:110]))
    for c, insn, f in sorted(rows, reverse=True):
        print(f'{c:12d}  {insn:40s} {f}')


if __name__ == '__main__':
    if len(sys.argv) >= 5 and sys.argv[1] == 'footprint':
        footprint(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) >= 5 and sys.argv[1] == 'grep':
        grep(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    else:
        sys.exit(__doc__)
