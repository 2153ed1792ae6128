#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Constant-time check of the multi-packet AES-GCM kernels (cry_mgcm_avx512.c,
functions *_avx512, and cry_mgcm_avx2.c, functions *_avx2), on the compiled
object, kernel by kernel: every secret (round keys, H powers, payload,
keystream, GHASH state, tags) lives in vector registers only, so a branch or
an address can depend on a secret only through an instruction that moves a
vector or mask register into a general register or the flags. This lists
every such instruction in the object and fails unless each one is
  - a reload of a general-register spill: vmovd/vmovq xmmN -> GPR (or kmov
    kN -> GPR) where every definition of that register reaching it on the
    control-flow graph is a vmovd/vmovq/kmov from a GPR or a 4/8-byte scalar
    load (GCC parks public scalars such as lengths in spare vector registers;
    the kernel loads secrets only with 16- and 64-byte vector loads);
  - vptest (the tag verdict: one bit per packet, public);
  - kortest/ktest of mask registers that hold only such GPR values (GCC
    keeps public flags, e.g. "these four lanes have one length", in masks).
A zeroing idiom (vpxor x, x, x; kxor k, k, k) makes its register public.
It also fails on table-driven AES (no AESENC at all) or on instructions
that make a GPR from vector data (vpextr*, vpmovmskb, vmovmskp*, kortest,
ktest, vcomis, ...).
Each kernel must be present and use AES instructions.
usage: ct_check_mgcm.py OBJECT_OR_ARCHIVE [OBJDUMP] [SUFFIX...]
       (default suffixes: _avx512 _avx2)
"""
import re
import subprocess
import sys

SINKS = re.compile(r'^(vpextr[bwdq]|pextr[bwdq]|vpmovmskb|pmovmskb|vmovmskp[sd]|movmskp[sd]|'
                   r'kortest[bwdq]|ktest[bwdq]|vcomis[sd]|vucomis[sd]|comis[sd]|ucomis[sd]|'
                   r'vextractps|extractps|vcvt.*2si|cvt.*2si|vpmov[bwdq]2m)$')
GPR = re.compile(r'^%(r[a-z0-9]+|e[a-z]{2}|[a-d][xl]|[sd]il?|[sb]pl?)$')
VEC = re.compile(r'^%[xyz]mm(\d+)')
MASK = re.compile(r'^%k(\d)$')


def reg_of(op):
    v = VEC.match(op)
    if v:
        return 'v' + v.group(1)
    k = MASK.match(op)
    if k:
        return 'k' + k.group(1)
    return None


GPR_MOVES = ('vmovd', 'vmovq', 'movd', 'movq', 'kmovb', 'kmovw', 'kmovd', 'kmovq')
ZERO_IDIOMS = ('vpxor', 'vpxord', 'vpxorq', 'vxorps', 'vxorpd', 'pxor', 'xorps', 'xorpd',
               'kxorb', 'kxorw', 'kxord', 'kxorq')
MASK_TESTS = re.compile(r'^(kortest|ktest)[bwdq]$')
# only set flags: their last operand is a source, not a destination
NO_DEST = re.compile(r'^(kortest[bwdq]|ktest[bwdq]|v?ptest|vtestp[sd]|v?u?comis[sd])$')


def check_function(name, ins):
    """
    Forward data flow over the function's control-flow graph: the set of
    vector/mask registers that may hold anything but a value moved in from
    a general register. A move from such a register to a GPR is a violation.
    """
    idx = {int(a, 16): i for i, (a, _, _) in enumerate(ins)}
    n = len(ins)
    succ = [[] for _ in range(n)]
    leaders = set([0])
    for i, (a, mn, ops) in enumerate(ins):
        if mn.startswith('j') or mn in ('ret', 'ud2'):
            leaders.add(i + 1)
            if ops and re.match(r'^[0-9a-f]+$', ops[0].split()[0]):
                t = idx.get(int(ops[0].split()[0], 16))
                if t is not None:
                    leaders.add(t)
    indirect = any(mn.startswith('jmp') and ops and ops[0].startswith('*')
                   for _, mn, ops in ins)
    for i, (a, mn, ops) in enumerate(ins):
        tgt = None
        if mn.startswith('j') and ops and re.match(r'^[0-9a-f]+$', ops[0].split()[0]):
            tgt = idx.get(int(ops[0].split()[0], 16))
        if mn in ('ret', 'ud2'):
            continue
        if mn == 'jmp' or mn == 'jmpq':
            if tgt is not None:
                succ[i].append(tgt)
            elif indirect:
                succ[i].extend(sorted(leaders))
            continue
        if tgt is not None:
            succ[i].append(tgt)
        if i + 1 < n:
            succ[i].append(i + 1)
    ALL = frozenset(['v%d' % r for r in range(32)] + ['k%d' % r for r in range(8)])
    state = [None] * n
    state[0] = ALL          # unknown on entry: treat as secret
    work = [0]
    while work:
        i = work.pop()
        st = set(state[i])
        a, mn, ops = ins[i]
        if ops and not NO_DEST.match(mn):
            d = reg_of(ops[-1])
            if d is not None:
                if mn in GPR_MOVES and (GPR.match(ops[0]) or '(' in ops[0]):
                    # from a GPR, or a 4/8-byte scalar reload of a spill
                    # (the kernel loads secrets only with 16/64-byte loads)
                    st.discard(d)
                elif mn in ZERO_IDIOMS and len(set(ops)) == 1:
                    # x ^ x: the constant zero, whatever x held
                    st.discard(d)
                else:
                    st.add(d)
        fs = frozenset(st)
        for s2 in succ[i]:
            old = state[s2]
            new = fs if old is None else old | fs
            if new != old:
                state[s2] = new
                work.append(s2)
    bad, spills, aes = [], 0, 0
    for i, (a, mn, ops) in enumerate(ins):
        if mn.startswith('vaesenc') or mn.startswith('aesenc'):
            aes += 1
        if MASK_TESTS.match(mn) and state[i] is not None and \
                all(reg_of(o) is not None and reg_of(o) not in state[i] for o in ops):
            spills += 1     # a test of masks made from GPRs or zero: public
            continue
        if SINKS.match(mn):
            bad.append(f'{name}+{a}: {mn} {",".join(ops)}')
            continue
        if len(ops) == 2 and GPR.match(ops[1]) and reg_of(ops[0]) is not None:
            if state[i] is not None and reg_of(ops[0]) in state[i]:
                bad.append(f'{name}+{a}: {mn} {",".join(ops)} (vector data to GPR)')
            else:
                spills += 1
    return bad, spills, aes


def main():
    obj = sys.argv[1]
    objdump = sys.argv[2] if len(sys.argv) > 2 else 'objdump'
    out = subprocess.run([objdump, '-d', '--no-show-raw-insn', obj], check=True,
                         capture_output=True, text=True).stdout
    funcs = {}
    cur = None
    for line in out.splitlines():
        m = re.match(r'^[0-9a-f]+ <(.+)>:$', line)
        if m:
            cur = m.group(1)
            funcs[cur] = []
            continue
        m = re.match(r'^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$', line)
        if m and cur is not None:
            ops = [o.strip() for o in re.split(r',(?![^()]*\))', m.group(3)) if o.strip()]
            ops = [re.sub(r'\{.*$', '', o) for o in ops]
            funcs[cur].append((m.group(1), m.group(2), ops))
    suffixes = sys.argv[3:] or ['_avx512', '_avx2']
    allfuncs = funcs
    rc = 0
    for suffix in suffixes:
        bad, spills, verdicts, aes = [], 0, 0, 0
        funcs = {k: v for k, v in allfuncs.items() if k.endswith(suffix)}
        for name, ins in funcs.items():
            b, v, a = check_function(name, ins)
            bad += b
            spills += v
            aes += a
            verdicts += sum(1 for _, mn, _ in ins if mn in ('vptest', 'ptest'))
        print(f'{obj} *{suffix}: {len(funcs)} functions, {aes} AES round instructions, '
              f'{spills} GPR spill reloads through vector/mask registers, '
              f'{verdicts} vptest tag verdicts, {len(bad)} violations')
        for b in bad[:20]:
            print('  ' + b)
        if not funcs:
            print(f'  no *{suffix} kernel functions found')
            rc = 1
        elif aes == 0:
            print('  no AES instructions: AES is not done by AES-NI/VAES')
            rc = 1
        if bad:
            rc = 1
    return rc

if __name__ == '__main__':
    sys.exit(main())
