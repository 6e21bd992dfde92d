/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* org.ttlock.Sim1 on every simulated device object (ttlock-sim(1), "THE SIM1 INTERFACE"): the
 * person at the door and fault injection. */

#include "sim.h"

int sim1_register(Sim *s);
