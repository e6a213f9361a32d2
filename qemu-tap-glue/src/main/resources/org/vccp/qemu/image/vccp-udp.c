/*
 * vccp-udp: the guest's UDP tool, since busybox nc has no UDP mode.
 *   vccp-udp send HOST PORT   sends one datagram per stdin line (without the newline)
 *   vccp-udp recv PORT        prints each datagram it receives as one line
 *   vccp-udp seq-send HOST PORT RATE COUNT FLOW BYTES TIMEOUT_S
 *                             numbered datagrams 1..COUNT at RATE per second (udp-seq-send)
 *   vccp-udp seq-recv PORT COUNT FLOW TIMEOUT_S
 *                             binds, returns, and counts them in the background (udp-seq-recv)
 * Built with gcc -static by GuestImageKit when the host has gcc; installed as /bin/vccp-udp.
 *
 * udp-seq datagram (all integers big-endian; documented in qemu-tap-glue/README.md):
 *   0  8  magic "VCCPSEQ1"
 *   8  4  flow id
 *  12  8  sequence number: 1..COUNT for data; 0 for the hello/ack handshake
 *  20  8  sender's CLOCK_MONOTONIC in ns when sent (informative only)
 *  28  .. zero padding up to BYTES
 * The sender sends hello (seq 0) every 200 ms until the receiver echoes it, then the data.
 * Every report is one console line "VCCP <EVENT> key=value ...".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SEQ_MAGIC "VCCPSEQ1"
#define SEQ_HEADER 28
#define SEQ_MAX_BYTES 1472
#define REPORT_NS 1000000000LL
#define LINGER_NS 1000000000LL
#define HELLO_MS 200
#define RCVBUF_BYTES (8 << 20)

/* The kernel's UDP RcvbufErrors and SndbufErrors from /proc/net/snmp, or -1: datagrams the kernel
   itself dropped for want of socket buffer, so a report can tell them from losses on the wire. */
static void udp_buffer_errors(long *rcvbuf, long *sndbuf) {
  char names[512], values[512];
  *rcvbuf = *sndbuf = -1;
  FILE *f = fopen("/proc/net/snmp", "r");
  if (f == NULL) return;
  while (fgets(names, sizeof names, f) != NULL && fgets(values, sizeof values, f) != NULL) {
    if (strncmp(names, "Udp:", 4) != 0) continue;
    char *np, *vp, *n = strtok_r(names, " \n", &np), *v = strtok_r(values, " \n", &vp);
    for (; n != NULL && v != NULL; n = strtok_r(NULL, " \n", &np), v = strtok_r(NULL, " \n", &vp)) {
      if (strcmp(n, "RcvbufErrors") == 0) *rcvbuf = atol(v);
      if (strcmp(n, "SndbufErrors") == 0) *sndbuf = atol(v);
    }
    break;
  }
  fclose(f);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void put_be(unsigned char *p, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; i--, v >>= 8) p[i] = (unsigned char)(v & 0xff);
}

static uint64_t get_be(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v = (v << 8) | p[i];
  return v;
}

static void seq_fill(unsigned char *buf, uint32_t flow, uint64_t seq) {
  memcpy(buf, SEQ_MAGIC, 8);
  put_be(buf + 8, flow, 4);
  put_be(buf + 12, seq, 8);
  put_be(buf + 20, (uint64_t)now_ns(), 8);
}

/* 1 and the flow and seq if buf holds a udp-seq header, else 0. */
static int seq_parse(const unsigned char *buf, ssize_t n, uint32_t *flow, uint64_t *seq) {
  if (n < SEQ_HEADER || memcmp(buf, SEQ_MAGIC, 8) != 0) return 0;
  *flow = (uint32_t)get_be(buf + 8, 4);
  *seq = get_be(buf + 12, 8);
  return 1;
}

static int seq_send(const char *host, int port, long rate, long count, uint32_t flow, int bytes,
                    long timeout_s) {
  static unsigned char buf[SEQ_MAX_BYTES], in[SEQ_MAX_BYTES];
  struct sockaddr_in peer;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  memset(&peer, 0, sizeof peer);
  peer.sin_family = AF_INET;
  peer.sin_port = htons((unsigned short)port);
  if (fd < 0 || inet_pton(AF_INET, host, &peer.sin_addr) != 1) {
    printf("VCCP ERROR stage=udp-seq-send detail=bad-peer-%s\n", host);
    return 2;
  }
  memset(buf, 0, sizeof buf);

  /* Handshake: the receiver must be listening before datagram 1, or it would count a gap. An
     unconnected socket, so ICMP port-unreachable never fails a later sendto. */
  int64_t start = now_ns(), deadline = start + timeout_s * 1000000000LL;
  int acked = 0;
  while (!acked && now_ns() < deadline) {
    seq_fill(buf, flow, 0);
    sendto(fd, buf, SEQ_HEADER, 0, (struct sockaddr *)&peer, sizeof peer);
    int64_t hello_end = now_ns() + HELLO_MS * 1000000LL;
    struct pollfd pfd = {fd, POLLIN, 0};
    for (int64_t left; !acked && (left = hello_end - now_ns()) > 0;) {
      if (poll(&pfd, 1, (int)(left / 1000000) + 1) <= 0) continue;
      struct sockaddr_in from;
      socklen_t len = sizeof from;
      uint32_t f;
      uint64_t s;
      ssize_t n = recvfrom(fd, in, sizeof in, 0, (struct sockaddr *)&from, &len);
      acked = n > 0 && from.sin_addr.s_addr == peer.sin_addr.s_addr && seq_parse(in, n, &f, &s) &&
              f == flow && s == 0;
    }
  }
  if (!acked) {
    printf("VCCP ERROR stage=udp-seq-send detail=no-receiver peer=%s port=%d\n", host, port);
    return 1;
  }
  /* Without IP_RECVERR the kernel reports a datagram its queueing discipline dropped as sent.
     Only now: during the handshake the port-unreachable errors of hellos sent before the
     receiver was bound would sit in the error queue and keep poll() returning POLLERR. */
  int on = 1;
  setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof on);
  printf("VCCP UDPSEQ role=send flow=%u sent=0 errors=0 rate=%ld count=%ld bytes=%d waited_ms=%lld\n",
         flow, rate, count, bytes, (long long)((now_ns() - start) / 1000000));

  long sent = 0, errors = 0;
  int64_t period = 1000000000LL / rate, t0 = now_ns(), next_report = t0 + REPORT_NS;
  for (long seq = 1; seq <= count; seq++) {
    int64_t target = t0 + (seq - 1) * period;
    struct timespec ts = {(time_t)(target / 1000000000LL), (long)(target % 1000000000LL)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
    seq_fill(buf, flow, (uint64_t)seq);
    if (sendto(fd, buf, bytes, 0, (struct sockaddr *)&peer, sizeof peer) == bytes) {
      sent++;
    } else {
      errors++;
    }
    if (now_ns() >= next_report) {
      printf("VCCP UDPSEQ role=send flow=%u sent=%ld errors=%ld\n", flow, sent, errors);
      next_report += REPORT_NS;
    }
  }
  long rcvbuf_errors, sndbuf_errors;
  udp_buffer_errors(&rcvbuf_errors, &sndbuf_errors);
  printf("VCCP DONE workload=udp-seq-send ok=%ld fail=%ld flow=%u sent=%ld errors=%ld"
         " udp_sndbuf_errors=%ld\n",
         sent, errors, flow, sent, errors, sndbuf_errors);
  return errors == 0 ? 0 : 1;
}

struct seq_stats {
  long received, unique, dups, reorders, last;
};

static void seq_report(const char *prefix, uint32_t flow, const struct seq_stats *st) {
  printf("%s flow=%u received=%ld gaps=%ld dups=%ld reorders=%ld last=%ld\n", prefix, flow,
         st->received, st->last - st->unique, st->dups, st->reorders, st->last);
}

static int seq_recv(int port, long count, uint32_t flow, long timeout_s) {
  static unsigned char buf[65536];
  struct sockaddr_in addr;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    printf("VCCP ERROR stage=udp-seq-recv detail=bind-%d\n", port);
    return 1;
  }
  /* A guest starved of CPU under TCG must not overflow its socket; root may force the size. */
  int rcvbuf = RCVBUF_BYTES;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  }
  unsigned char *seen = calloc((size_t)count / 8 + 1, 1);
  if (seen == NULL) {
    printf("VCCP ERROR stage=udp-seq-recv detail=no-memory\n");
    return 1;
  }
  struct seq_stats st = {0, 0, 0, 0, 0};
  printf("VCCP UDPSEQ role=recv port=%d", port);
  seq_report("", flow, &st);
  fflush(stdout);
  /* Bound: the caller may send now. Count in the background so /init can go on. */
  pid_t child = fork();
  if (child != 0) return child < 0 ? 1 : 0;

  int64_t next_report = now_ns() + REPORT_NS, last_rx = 0, end_at = 0;
  for (;;) {
    int64_t now = now_ns();
    if (now >= next_report) {
      seq_report("VCCP UDPSEQ role=recv", flow, &st);
      next_report += REPORT_NS;
    }
    if ((end_at && now >= end_at) || (last_rx && now - last_rx >= timeout_s * 1000000000LL)) break;
    struct pollfd pfd = {fd, POLLIN, 0};
    int64_t wait_ns = next_report - now;
    if (end_at && end_at - now < wait_ns) wait_ns = end_at - now;
    if (poll(&pfd, 1, (int)(wait_ns / 1000000) + 1) <= 0) continue;
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    uint32_t f;
    uint64_t seq;
    if (!seq_parse(buf, n, &f, &seq) || f != flow) continue;
    if (seq == 0) { /* hello: echo it so the sender knows we listen */
      sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
      continue;
    }
    if (seq > (uint64_t)count) continue;
    last_rx = now_ns();
    st.received++;
    if (seen[seq / 8] & (1u << (seq % 8))) {
      st.dups++;
      continue;
    }
    seen[seq / 8] |= (unsigned char)(1u << (seq % 8));
    st.unique++;
    if ((long)seq < st.last) {
      st.reorders++;
    } else {
      st.last = (long)seq;
    }
    if ((long)seq == count) end_at = last_rx + LINGER_NS; /* stragglers still count */
  }
  long rcvbuf_errors, sndbuf_errors;
  udp_buffer_errors(&rcvbuf_errors, &sndbuf_errors);
  printf("VCCP DONE workload=udp-seq-recv ok=%ld fail=%ld expected=%ld", st.unique,
         count - st.unique, count);
  printf(" flow=%u received=%ld gaps=%ld dups=%ld reorders=%ld last=%ld udp_rcvbuf_errors=%ld\n",
         flow, st.received, st.last - st.unique, st.dups, st.reorders, st.last, rcvbuf_errors);
  return 0;
}

int main(int argc, char **argv) {
  static char buf[65536];
  struct sockaddr_in addr;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 9 && strcmp(argv[1], "seq-send") == 0) {
    long rate = atol(argv[4]), count = atol(argv[5]), timeout_s = atol(argv[8]);
    int bytes = atoi(argv[7]);
    if (rate < 1 || rate > 1000000 || count < 1 || bytes < SEQ_HEADER || bytes > SEQ_MAX_BYTES) {
      printf("VCCP ERROR stage=udp-seq-send detail=bad-arguments\n");
      return 2;
    }
    return seq_send(argv[2], atoi(argv[3]), rate, count, (uint32_t)atol(argv[6]), bytes,
                    timeout_s);
  }
  if (argc == 6 && strcmp(argv[1], "seq-recv") == 0) {
    long count = atol(argv[3]);
    if (count < 1) {
      printf("VCCP ERROR stage=udp-seq-recv detail=bad-arguments\n");
      return 2;
    }
    return seq_recv(atoi(argv[2]), count, (uint32_t)atol(argv[4]), atol(argv[5]));
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  if (fd < 0) {
    perror("socket");
    return 1;
  }
  if (argc == 4 && strcmp(argv[1], "send") == 0) {
    addr.sin_port = htons((unsigned short)atoi(argv[3]));
    if (inet_pton(AF_INET, argv[2], &addr.sin_addr) != 1) {
      fprintf(stderr, "vccp-udp: bad IPv4 address %s\n", argv[2]);
      return 2;
    }
    while (fgets(buf, sizeof buf, stdin) != NULL) {
      size_t n = strcspn(buf, "\n");
      if (sendto(fd, buf, n, 0, (struct sockaddr *)&addr, sizeof addr) < 0) perror("sendto");
    }
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "recv") == 0) {
    addr.sin_port = htons((unsigned short)atoi(argv[2]));
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
      perror("bind");
      return 1;
    }
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
      if (n < 0) {
        perror("recv");
        return 1;
      }
      buf[n] = '\0';
      puts(buf);
    }
  }
  fprintf(stderr,
          "usage: vccp-udp send HOST PORT | recv PORT"
          " | seq-send HOST PORT RATE COUNT FLOW BYTES TIMEOUT_S"
          " | seq-recv PORT COUNT FLOW TIMEOUT_S\n");
  return 2;
}
