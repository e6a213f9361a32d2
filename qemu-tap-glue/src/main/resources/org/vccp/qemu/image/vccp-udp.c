/*
 * vccp-udp: the guest's UDP tool, since busybox nc has no UDP mode.
 *   vccp-udp send HOST PORT   sends one datagram per stdin line (without the newline)
 *   vccp-udp recv PORT        prints each datagram it receives as one line
 * Built with gcc -static by GuestImageKit when the host has gcc; installed as /bin/vccp-udp.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
  static char buf[65536];
  struct sockaddr_in addr;
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
    setvbuf(stdout, NULL, _IOLBF, 0);
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
  fprintf(stderr, "usage: vccp-udp send HOST PORT | vccp-udp recv PORT\n");
  return 2;
}
