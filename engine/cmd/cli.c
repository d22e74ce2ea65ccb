/* cli.c: what the commands share: the config named by the options, and the
 * exit code of an error. */
#include "cli.h"
#include "assignees.h"

cp_exit cp_cli_exit_for(cp_err e)
{
  switch (e) {
  case CP_OK: return CP_EXIT_OK;
  case CP_EUSAGE: case CP_ECONFIG: case CP_ERULES: case CP_EFACTS: return CP_EXIT_INVALID;
  case CP_EBUSY: return CP_EXIT_BUSY;
  default: return CP_EXIT_FAILED;
  }
}

cp_err cp_cli_config(const cp_opts *o, cp_config **cfg)
{
  cp_err rc = cp_config_load(o->config, cfg);
  if (rc == CP_OK)
    rc = cp_assignees_check(*cfg);
  if (rc == CP_OK && o->facts)
    rc = cp_config_set_path(&(*cfg)->facts, o->facts);
  if (rc == CP_OK && o->state)
    rc = cp_config_set_path(&(*cfg)->state, o->state);
  return rc;
}
