/* SPDX-License-Identifier: MIT */
/* The volumes rampart opens (/var, /var/tmp, swap), for every state that has to close them. */
#ifndef RAMPART_VOLUMES_H
#define RAMPART_VOLUMES_H

#include "boot.h"

/* Where the volume appears in the OS: /var, /var/tmp. */
const char *vol_path(const struct volume *v);

/* Unmounts and closes /var, /var/tmp and swap, whatever state a failure left them in. */
void volumes_close(struct boot *b);

#endif
