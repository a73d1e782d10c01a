"""Control surfaces: everything that steers a running show from outside, by writing parameters.

`surfaces.ControlSurfaces(show, bus)` starts and stops them all (see docs/control.md). Modules:

- `controls`: the one funnel to the parameter bus (who wrote what, fades, actions, idle time)
- `mappings`: input -> range -> curve -> parameter or action, shared by every surface
- `scenes`, `fades`, `ticker`, `autopilot`, `keyboard`, `drops`
- OSC: `osc_server` (UDP), `osc_api` (addresses), `osc_echo` (values out), `osc_query` (HTTP)
- MIDI: `midi_api` (ALSA / JACK), `midi_ports` (hot-plug), `midi_map`, `midi_learn`,
  `midi_clock`, `midi_feedback`
- webcam: `webcam` (capture thread), `webcam_features` (numbers from frames), `webcam_control`
"""
