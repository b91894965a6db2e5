//! Plugin loader, tool registry, venue driver (sockets, REST, retries) and emulator server
