"""Which roles may change what in the service app (reads follow `visible_to`)."""

from futures_crm.roles import API_ONLY_ROLES, Role

PAGE_ROLES = set(Role) - API_ONLY_ROLES
# The desk, the managers and compliance work tickets; marketing only reads them.
TICKET_WRITE_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.SERVICE_AGENT,
                      Role.COMPLIANCE}
TASK_WRITE_ROLES = set(Role)
PROSPECT_WRITE_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.SERVICE_AGENT,
                        Role.MARKETING}
ACTIVITY_WRITE_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER, Role.MARKETING}
# Attendance and responses are recorded by whoever serves the client.
RECIPIENT_WRITE_ROLES = ACTIVITY_WRITE_ROLES | {Role.ACCOUNT_MANAGER, Role.SERVICE_AGENT}
SURVEY_WRITE_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.SERVICE_AGENT,
                      Role.MARKETING}
MESSAGE_WRITE_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.SERVICE_AGENT,
                       Role.MARKETING}
CARE_ADMIN_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.MARKETING}
# Deadline policies: set by head office and compliance (complaint handling is a compliance duty).
POLICY_WRITE_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.COMPLIANCE}
# Return visits are recorded by the client's account manager (own clients), the service desk and compliance.
RETURN_VISIT_WRITE_ROLES = {Role.ADMIN, Role.ACCOUNT_MANAGER, Role.SERVICE_AGENT, Role.COMPLIANCE}
# The prospect funnel (an analysis page): the managers' and marketing's; compliance and the desk do not work prospects.
PROSPECT_FUNNEL_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.MARKETING}
# Tickets against their deadlines (an analysis page): management, the managers (their own tickets) and compliance,
# which answers for complaint handling; the desk works the tickets, its menus hold no analysis.
TICKET_DEADLINE_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.COMPLIANCE}
# The analysis pages (activity results, churn analysis): the managers, marketing and compliance, each in their scope.
ANALYSIS_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.MARKETING,
                  Role.COMPLIANCE}
