/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_STATES_H
#define RAMPART_STATES_H

#include "boot.h"
#include "machine.h"

/* The boot: which state may follow which (init/states.c). */
extern const struct machine_state boot_table[ST__COUNT];

#endif
