"""Who may use which relationship page or endpoint; row-level scope lives in querysets.py."""

from futures_crm.roles import Role

# Roles that read the intermediary registry; managers only see intermediaries of their own clients.
INTERMEDIARY_READERS = {Role.ADMIN, Role.HEAD_OFFICE, Role.COMPLIANCE, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER}
# The back-office system reads intermediaries and links through the API, never the pages.
INTERMEDIARY_API_READERS = INTERMEDIARY_READERS | {Role.BACK_OFFICE}
# Roles that keep the registry, link clients by hand, run checks and confirm rebate statements.
INTERMEDIARY_EDITORS = {Role.ADMIN, Role.COMPLIANCE}
# Rebate statements are money owed to intermediaries: compliance and management only.
STATEMENT_READERS = {Role.ADMIN, Role.HEAD_OFFICE, Role.COMPLIANCE}
# Roles that see every intermediary whatever the clients' managers.
INTERMEDIARY_FIRM_WIDE = {Role.ADMIN, Role.HEAD_OFFICE, Role.COMPLIANCE, Role.BACK_OFFICE}

# Roles that move clients between managers (row scope still applies: a branch manager, their branch).
ASSIGNERS = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER}
# Workload, key-client worklist and orphans are management views.
MANAGEMENT = ASSIGNERS
# Referral records: anyone who works with clients; marketing runs the referral programme.
REFERRAL_READERS = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.MARKETING,
                    Role.COMPLIANCE}
REFERRAL_EDITORS = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.MARKETING}
REWARD_APPROVERS = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER, Role.MARKETING}
# The club is marketing's; managers see their own members.
CLUB_READERS = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.MARKETING}
CLUB_EDITORS = {Role.ADMIN, Role.MARKETING}
# The intermediary scorecard ranks a branch's intermediaries by money and warning signs: compliance and management.
SCORECARD_READERS = {Role.ADMIN, Role.HEAD_OFFICE, Role.COMPLIANCE, Role.BRANCH_MANAGER}
