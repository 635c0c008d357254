// floor-server: the trivial MQTT broker the latency probe's floor is measured against. One thread, epoll,
// TCP_NODELAY. CONNECT → CONNACK (3.1.1 or 5.0 encoding), SUBSCRIBE → SUBACK (granting the requested QoS,
// at most 1) and a record of who subscribed to which exact topic (no wildcards, no retained messages, no
// sessions), PUBLISH → PUBACK for QoS 1 and the same message forwarded to that topic's subscribers (a fresh
// packet id per subscriber connection), PINGREQ → PINGRESP; PUBACKs from subscribers are swallowed.
// What it shows: what the probe and the kernel add to a broker's latency.
//
//   cc -O2 -Wall -Wextra -o floor-server native/floor-server.c
//   floor-server --port 0            (prints "listening <port>" once bound)

#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
  CONNECT = 1, CONNACK = 2, PUBLISH = 3, PUBACK = 4, SUBSCRIBE = 8, SUBACK = 9, PINGREQ = 12, PINGRESP = 13,
  DISCONNECT = 14,
};

#define IN_CAPACITY (256 * 1024)
#define OUT_LIMIT (64 * 1024 * 1024) // a subscriber further behind than this is disconnected

typedef struct connection connection;
struct connection {
  int fd;
  int protocol; // 0 until CONNECT
  uint8_t *in;
  size_t in_length;
  uint8_t *out;
  size_t out_start, out_end, out_capacity;
  int watching_output, dirty, closed;
  uint16_t next_packet_id;
  connection *next_dirty;
};

// Exact-topic subscriptions: a chained hash table from topic to the connections subscribed.
typedef struct subscription subscription;
struct subscription {
  char *topic;
  size_t topic_length;
  connection **subscribers;
  uint8_t *qos;
  int count, capacity;
  subscription *next;
};

#define TOPIC_BUCKETS 4096
static subscription *topics[TOPIC_BUCKETS];
static int epoll_fd;
static connection *dirty_list;

static void fail(const char *what) {
  fprintf(stderr, "floor-server: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint32_t topic_hash(const uint8_t *topic, size_t length) {
  uint32_t hash = 2166136261u; // FNV-1a
  for (size_t i = 0; i < length; i++) hash = (hash ^ topic[i]) * 16777619u;
  return hash % TOPIC_BUCKETS;
}

static subscription *find_topic(const uint8_t *topic, size_t length, int create) {
  uint32_t bucket = topic_hash(topic, length);
  for (subscription *s = topics[bucket]; s != NULL; s = s->next) {
    if (s->topic_length == length && memcmp(s->topic, topic, length) == 0) return s;
  }
  if (!create) return NULL;
  subscription *s = calloc(1, sizeof *s);
  if (s == NULL || (s->topic = malloc(length)) == NULL) fail("malloc");
  memcpy(s->topic, topic, length);
  s->topic_length = length;
  s->next = topics[bucket];
  topics[bucket] = s;
  return s;
}

static void subscribe(connection *c, const uint8_t *topic, size_t length, uint8_t qos) {
  subscription *s = find_topic(topic, length, 1);
  for (int i = 0; i < s->count; i++) {
    if (s->subscribers[i] == c) {
      s->qos[i] = qos;
      return;
    }
  }
  if (s->count == s->capacity) {
    s->capacity = s->capacity == 0 ? 4 : s->capacity * 2;
    s->subscribers = realloc(s->subscribers, (size_t)s->capacity * sizeof *s->subscribers);
    s->qos = realloc(s->qos, (size_t)s->capacity);
    if (s->subscribers == NULL || s->qos == NULL) fail("realloc");
  }
  s->subscribers[s->count] = c;
  s->qos[s->count++] = qos;
}

static void unsubscribe_everywhere(connection *c) {
  for (int bucket = 0; bucket < TOPIC_BUCKETS; bucket++) {
    for (subscription *s = topics[bucket]; s != NULL; s = s->next) {
      for (int i = 0; i < s->count; i++) {
        if (s->subscribers[i] != c) continue;
        s->subscribers[i] = s->subscribers[s->count - 1];
        s->qos[i] = s->qos[s->count - 1];
        s->count--;
        break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Connections and output

static void watch(connection *c, int want_output) {
  if (c->watching_output == want_output) return;
  struct epoll_event event = {.events = EPOLLIN | (want_output ? EPOLLOUT : 0), .data.ptr = c};
  epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &event);
  c->watching_output = want_output;
}

// Closed connections stay allocated (marked) until the end of the event batch that may still name them.
static void close_connection(connection *c) {
  if (c->closed) return;
  c->closed = 1;
  unsubscribe_everywhere(c);
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
}

static uint8_t *reserve(connection *c, size_t length) {
  if (c->out_start > 0 && c->out_end + length > c->out_capacity) {
    memmove(c->out, c->out + c->out_start, c->out_end - c->out_start);
    c->out_end -= c->out_start;
    c->out_start = 0;
  }
  if (c->out_end + length > c->out_capacity) {
    size_t capacity = c->out_capacity;
    while (c->out_end + length > capacity) capacity *= 2;
    if (capacity > OUT_LIMIT) return NULL;
    uint8_t *grown = realloc(c->out, capacity);
    if (grown == NULL) return NULL;
    c->out = grown;
    c->out_capacity = capacity;
  }
  if (!c->dirty) {
    c->dirty = 1;
    c->next_dirty = dirty_list;
    dirty_list = c;
  }
  return c->out + c->out_end;
}

static void queue_bytes(connection *c, const uint8_t *bytes, size_t length) {
  uint8_t *room = reserve(c, length);
  if (room == NULL) {
    close_connection(c);
    return;
  }
  memcpy(room, bytes, length);
  c->out_end += length;
}

static void flush(connection *c) {
  while (c->out_start < c->out_end) {
    ssize_t written = write(c->fd, c->out + c->out_start, c->out_end - c->out_start);
    if (written < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) close_connection(c);
      break;
    }
    c->out_start += (size_t)written;
  }
  if (c->closed) return;
  if (c->out_start == c->out_end) c->out_start = c->out_end = 0;
  watch(c, c->out_start < c->out_end);
}

// ---------------------------------------------------------------------------------------------------------
// Packets

static size_t put_varint(uint8_t *out, size_t value) {
  size_t length = 0;
  do {
    uint8_t byte = value % 128;
    value /= 128;
    out[length++] = byte | (value > 0 ? 0x80 : 0);
  } while (value > 0);
  return length;
}

static size_t varint_size(size_t value) {
  uint8_t scratch[4];
  return put_varint(scratch, value);
}

// Reads a variable byte integer; returns its length in bytes, 0 when incomplete, -1 when malformed.
static int get_varint(const uint8_t *in, size_t available, size_t *value) {
  size_t result = 0, multiplier = 1;
  for (int i = 0; i < 4; i++) {
    if ((size_t)i >= available) return 0;
    result += (size_t)(in[i] & 0x7f) * multiplier;
    multiplier *= 128;
    if ((in[i] & 0x80) == 0) {
      *value = result;
      return i + 1;
    }
  }
  return -1;
}

static int on_connect(connection *c, const uint8_t *body, size_t length) {
  if (c->protocol != 0 || length < 8) return -1;
  size_t name_length = ((size_t)body[0] << 8) | body[1];
  if (2 + name_length + 1 > length) return -1;
  c->protocol = body[2 + name_length];
  if (c->protocol < 3 || c->protocol > 5) return -1;
  static const uint8_t connack_v4[] = {CONNACK << 4, 2, 0, 0};
  static const uint8_t connack_v5[] = {CONNACK << 4, 3, 0, 0, 0};
  if (c->protocol == 5) queue_bytes(c, connack_v5, sizeof connack_v5);
  else queue_bytes(c, connack_v4, sizeof connack_v4);
  return 0;
}

static int on_subscribe(connection *c, const uint8_t *body, size_t length) {
  if (length < 2) return -1;
  size_t offset = 2;
  if (c->protocol == 5) {
    size_t properties;
    int n = get_varint(body + offset, length - offset, &properties);
    if (n <= 0) return -1;
    offset += (size_t)n + properties;
  }
  uint8_t granted[256];
  int count = 0;
  while (offset < length) {
    if (offset + 2 > length) return -1;
    size_t topic_length = ((size_t)body[offset] << 8) | body[offset + 1];
    if (offset + 2 + topic_length + 1 > length || count == (int)sizeof granted) return -1;
    uint8_t qos = body[offset + 2 + topic_length] & 3;
    if (qos > 1) qos = 1;
    subscribe(c, body + offset + 2, topic_length, qos);
    granted[count++] = qos;
    offset += 2 + topic_length + 1;
  }
  if (count == 0) return -1;
  uint8_t suback[300];
  size_t n = 0, remaining = 2 + (c->protocol == 5 ? 1 : 0) + (size_t)count;
  suback[n++] = SUBACK << 4;
  n += put_varint(suback + n, remaining);
  suback[n++] = body[0];
  suback[n++] = body[1];
  if (c->protocol == 5) suback[n++] = 0;
  memcpy(suback + n, granted, (size_t)count);
  queue_bytes(c, suback, n + (size_t)count);
  return 0;
}

// Writes the message to one subscriber at the QoS it gets, with its own packet id.
static void deliver(connection *to, uint8_t qos, const uint8_t *topic, size_t topic_length, const uint8_t *properties,
                    size_t properties_length, const uint8_t *payload, size_t payload_length) {
  if (to->protocol != 5) properties_length = 0;
  size_t body = 2 + topic_length + (qos > 0 ? 2 : 0) + payload_length;
  if (to->protocol == 5) body += varint_size(properties_length) + properties_length;
  uint8_t *out = reserve(to, 1 + varint_size(body) + body);
  if (out == NULL) {
    close_connection(to);
    return;
  }
  size_t n = 0;
  out[n++] = (uint8_t)((PUBLISH << 4) | (qos << 1)); // retain and dup cleared: a live delivery
  n += put_varint(out + n, body);
  out[n++] = (uint8_t)(topic_length >> 8);
  out[n++] = (uint8_t)topic_length;
  memcpy(out + n, topic, topic_length);
  n += topic_length;
  if (qos > 0) {
    uint16_t id = to->next_packet_id;
    to->next_packet_id = id == 65535 ? 1 : id + 1;
    out[n++] = (uint8_t)(id >> 8);
    out[n++] = (uint8_t)id;
  }
  if (to->protocol == 5) {
    n += put_varint(out + n, properties_length);
    if (properties_length > 0) memcpy(out + n, properties, properties_length);
    n += properties_length;
  }
  memcpy(out + n, payload, payload_length);
  to->out_end += n + payload_length;
}

static int on_publish(connection *c, uint8_t flags, const uint8_t *body, size_t length) {
  uint8_t qos = (flags >> 1) & 3;
  if (qos > 1 || length < 2) return -1;
  size_t topic_length = ((size_t)body[0] << 8) | body[1];
  size_t offset = 2 + topic_length;
  uint8_t packet_id[2] = {0, 0};
  if (qos > 0) {
    if (offset + 2 > length) return -1;
    packet_id[0] = body[offset];
    packet_id[1] = body[offset + 1];
    offset += 2;
  }
  const uint8_t *properties = NULL;
  size_t properties_length = 0;
  if (c->protocol == 5) {
    int n = offset < length ? get_varint(body + offset, length - offset, &properties_length) : -1;
    if (n <= 0) return -1;
    properties = body + offset + n;
    offset += (size_t)n + properties_length;
  }
  if (offset > length) return -1;
  subscription *s = find_topic(body + 2, topic_length, 0);
  for (int i = 0; s != NULL && i < s->count; i++) {
    connection *to = s->subscribers[i];
    if (to->closed) continue;
    deliver(to, s->qos[i] < qos ? s->qos[i] : qos, body + 2, topic_length, properties, properties_length, body + offset, length - offset);
  }
  if (qos == 1) {
    uint8_t puback[4] = {PUBACK << 4, 2, packet_id[0], packet_id[1]};
    queue_bytes(c, puback, sizeof puback);
  }
  return 0;
}

static int on_packet(connection *c, uint8_t first, const uint8_t *body, size_t length) {
  int type = first >> 4;
  if (c->protocol == 0 && type != CONNECT) return -1;
  switch (type) {
    case CONNECT: return on_connect(c, body, length);
    case SUBSCRIBE: return on_subscribe(c, body, length);
    case PUBLISH: return on_publish(c, first & 0x0f, body, length);
    case PUBACK: return 0;
    case PINGREQ: {
      static const uint8_t pingresp[2] = {PINGRESP << 4, 0};
      queue_bytes(c, pingresp, sizeof pingresp);
      return 0;
    }
    case DISCONNECT: return -1;
    default: return -1;
  }
}

static void on_readable(connection *c) {
  ssize_t n = read(c->fd, c->in + c->in_length, IN_CAPACITY - c->in_length);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (n <= 0) {
    close_connection(c);
    return;
  }
  c->in_length += (size_t)n;
  size_t offset = 0;
  while (offset + 2 <= c->in_length && !c->closed) {
    size_t remaining;
    int header = get_varint(c->in + offset + 1, c->in_length - offset - 1, &remaining);
    if (header < 0) {
      close_connection(c);
      return;
    }
    if (header == 0 || offset + 1 + (size_t)header + remaining > c->in_length) break;
    if (on_packet(c, c->in[offset], c->in + offset + 1 + header, remaining) != 0) {
      close_connection(c);
      return;
    }
    offset += 1 + (size_t)header + remaining;
  }
  if (c->closed) return;
  memmove(c->in, c->in + offset, c->in_length - offset);
  c->in_length -= offset;
  if (c->in_length == IN_CAPACITY) close_connection(c);
}

static void on_accept(int listener) {
  for (;;) {
    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    connection *c = calloc(1, sizeof *c);
    if (c == NULL || (c->in = malloc(IN_CAPACITY)) == NULL || (c->out = malloc(64 * 1024)) == NULL) fail("malloc");
    c->fd = fd;
    c->out_capacity = 64 * 1024;
    c->next_packet_id = 1;
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) fail("epoll_ctl");
  }
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1", *port = "1883";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--port") == 0) port = argv[i + 1];
    else if (strcmp(argv[i], "--host") == 0) host = argv[i + 1];
    else {
      fprintf(stderr, "floor-server: unknown option %s\nusage: floor-server [--host 127.0.0.1] [--port 1883|0]\n", argv[i]);
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *address;
  int resolved = getaddrinfo(host, port, &hints, &address);
  if (resolved != 0) {
    fprintf(stderr, "floor-server: cannot resolve %s:%s: %s\n", host, port, gai_strerror(resolved));
    return 1;
  }
  int listener = socket(address->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (listener < 0 || bind(listener, address->ai_addr, address->ai_addrlen) != 0) fail("bind");
  if (listen(listener, 1024) != 0) fail("listen");
  struct sockaddr_storage bound;
  socklen_t bound_length = sizeof bound;
  getsockname(listener, (struct sockaddr *)&bound, &bound_length);
  int bound_port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port : ((struct sockaddr_in *)&bound)->sin_port);
  printf("listening %d\n", bound_port);
  fflush(stdout);

  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event listen_event = {.events = EPOLLIN, .data.ptr = NULL};
  if (epoll_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &listen_event) != 0) fail("epoll");
  connection *closed_list[256];
  for (;;) {
    struct epoll_event events[256];
    int count = epoll_wait(epoll_fd, events, 256, -1);
    if (count < 0) {
      if (errno == EINTR) continue;
      fail("epoll_wait");
    }
    int closed_count = 0;
    for (int i = 0; i < count; i++) {
      connection *c = events[i].data.ptr;
      if (c == NULL) {
        on_accept(listener);
        continue;
      }
      if (c->closed) continue;
      if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c);
      if (!c->closed && (events[i].events & EPOLLOUT)) flush(c);
    }
    // One write per connection per batch: what every event of this batch queued for it.
    while (dirty_list != NULL) {
      connection *c = dirty_list;
      dirty_list = c->next_dirty;
      c->dirty = 0;
      if (!c->closed) flush(c);
    }
    // Free what closed in this batch (nothing refers to it any more: subscriptions were removed on close).
    for (int i = 0; i < count; i++) {
      connection *c = events[i].data.ptr;
      if (c != NULL && c->closed && c->fd >= 0 && closed_count < 256) {
        c->fd = -1;
        closed_list[closed_count++] = c;
      }
    }
    for (int i = 0; i < closed_count; i++) {
      free(closed_list[i]->in);
      free(closed_list[i]->out);
      free(closed_list[i]);
    }
  }
}
