/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_REPORT_H
#define RAMPART_REPORT_H

#include "boot.h"
#include "machine.h"

/* Writes /run/rampart/boot.json from @b; @table names the states. */
int boot_report_write(const struct boot *b, const struct machine_state *table);

#endif
