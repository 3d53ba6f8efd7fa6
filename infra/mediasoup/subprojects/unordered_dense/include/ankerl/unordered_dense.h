// Minimal ankerl::unordered_dense for the mediasoup worker build without downloads: the worker only
// uses map, set and hash with the std-compatible subset of their interface, so aliases onto the
// standard containers are enough. Slower than the real thing, identical in behaviour.
#pragma once

#include <functional>
#include <unordered_map>
#include <unordered_set>

namespace ankerl::unordered_dense {

template <class T, class Enable = void>
struct hash : std::hash<T> {};

template <class Key, class T, class Hash = hash<Key>, class KeyEqual = std::equal_to<Key>>
using map = std::unordered_map<Key, T, Hash, KeyEqual>;

template <class Key, class Hash = hash<Key>, class KeyEqual = std::equal_to<Key>>
using set = std::unordered_set<Key, Hash, KeyEqual>;

} // namespace ankerl::unordered_dense
