// recoup: recover the SLA credits AWS owes its customers.
#include "recoup/cli/cli.h"

int main(int argc, char** argv) { return recoup::cli::Run(argc, argv); }
