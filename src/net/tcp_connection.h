// A client's TCP control connection: frames the byte stream into STUN / ChannelData messages
// (RFC 8489 §6.2.2, RFC 8656 §12.5) and hands each one to the worker.
#pragma once

#include <event2/bufferevent.h>

#include "ferry/common/address.h"
#include "ferry/common/bytes.h"

namespace ferry::net {

class Worker;

class TcpConnection {
 public:
  TcpConnection(Worker& worker, bufferevent* bev, const FiveTuple& tuple);
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  void send(Bytes data);
  const FiveTuple& tuple() const { return tuple_; }

 private:
  static void on_read(bufferevent* bev, void* arg);
  static void on_event(bufferevent* bev, short what, void* arg);
  void read_frames();

  Worker& worker_;
  bufferevent* bev_;
  FiveTuple tuple_;
};

}  // namespace ferry::net
