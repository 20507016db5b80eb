/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_PATHS_H
#define RAMPART_PATHS_H

/*
 * Where rampart leaves what the root's init reads after the switch (the
 * boot report, the measurement log, the swap hand-over): on /run, which
 * is moved into the root, so the files outlive the initrd.
 */
#define RAMPART_RUN_DIR "/run/rampart"

#endif
