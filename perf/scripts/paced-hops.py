"""Splits a paced run's one-way latency into hops from a perf script dump (see paced-hops.sh).

The peer is the vccp switch (its I/O threads' recvfrom, sendto and write) or QEMU's hub (its
recvmsg and sendmsg).

Frames are 64 B plus the 4-byte stream prefix; each stage's byte stream is cut into 68-byte frames,
and stages are matched frame by frame (FIFO) at the offset and byte phase that give the smallest
non-negative delays.
"""
import re,sys
LINE=re.compile(r'^\s*(.*?)\s+(\d+)\s+(?:\[\d+\]\s+)?([\d.]+):\s+(\S+):\s*(.*)$')
FB=68
raw={'send':[], 'swin':[], 'swout':[], 'rx':[]}
sending={}  # tid -> time its sendmsg began
for line in open(sys.argv[1]):
    m=LINE.match(line)  # comm (may hold spaces) tid time: event: trace
    if not m: continue
    comm=m.group(1); tid=m.group(2); t=float(m.group(3)); ev=m.group(4)+':'; p=[None]*4+m.group(5).split()
    if comm.startswith('loadgen-send') and ev=='syscalls:sys_enter_write:':
        raw['send'].append((t,int(re.search(r'count: (0x[0-9a-f]+)',line).group(1),16)))
    elif comm.startswith('vccp-io') and ev=='syscalls:sys_exit_recvfrom:':
        v=int(p[4],16)
        if v<2**63: raw['swin'].append((t,v))
    elif comm.startswith('vccp-io') and ev=='syscalls:sys_enter_sendto:':
        raw['swout'].append((t,int(re.search(r'len: (0x[0-9a-f]+)',line).group(1),16)))
    elif comm.startswith('vccp-io') and ev=='syscalls:sys_enter_write:':
        n=int(re.search(r'count: (0x[0-9a-f]+)',line).group(1),16)
        if n!=8: raw['swout'].append((t,n))  # a direct send (8 bytes: an eventfd wake-up)
    elif comm.startswith('qemu-system') and ev=='syscalls:sys_exit_recvmsg:':
        v=int(p[4],16)
        if v<2**63: raw['swin'].append((t,v))
    elif comm.startswith('qemu-system') and ev=='syscalls:sys_enter_sendmsg:':
        sending[tid]=t  # its length is known at the exit; the hop ends when the call begins
    elif comm.startswith('qemu-system') and ev=='syscalls:sys_exit_sendmsg:':
        v=int(p[4],16); began=sending.pop(tid,None)
        if v<2**63 and began is not None: raw['swout'].append((began,v))
    elif comm.startswith('loadgen-rec') and ev=='syscalls:sys_exit_read:':
        v=int(p[4],16)
        if v<2**63: raw['rx'].append((t,v))
def frames(ev,phase=0):
    out=[];acc=phase
    for t,n in ev:
        acc+=n
        while acc>=FB: out.append(t); acc-=FB
    return out
def align(a,b):
    best=None
    for m in range(-50,400):
        d=[b[j]-a[j-m] for j in range(max(m,0),min(len(b),len(a)+m))]
        if len(d)>len(b)*0.9 and min(d)>=0:
            s=sorted(d)[len(d)//2]
            if best is None or s<best[0]: best=(s,m,d)
    return best
def q(d,x): s=sorted(d); return s[int(x*(len(s)-1))]*1e6
send=frames(raw['send']); rx=frames(raw['rx']); swout=frames(raw['swout'])
best=None
for ph in range(FB):
    swin=frames(raw['swin'],ph)
    r1=align(send,swin); r2=align(swin,swout)
    if r1 and r2:
        score=r1[0]+r2[0]
        if best is None or score<best[0]: best=(score,ph,r1,r2)
_,ph,r1,r2=best
r3=align(swout,rx); r4=align(send,rx)
for name,r in [('generator write -> peer read',r1),('peer read -> peer write',r2),('peer write -> generator read',r3),('end to end (syscalls)',r4)]:
    s,m,d=r
    print(f"{name:32s} p50 {q(d,.5):7.1f} us  p90 {q(d,.9):7.1f}  p99 {q(d,.99):7.1f}  p99.9 {q(d,.999):7.1f}  max {max(d)*1e6:7.1f}  (n={len(d)})")
