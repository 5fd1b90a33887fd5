/** The operations an app sends, written once for every e2e spec. */
export const SESSION_FIELDS = `
  id userId current status endReason createdAt lastActivityAt idleExpiresAt expiresAt endedAt ipAddress userAgent
  device { id name type model osVersion appVersion trusted trustedAt firstSeenAt lastSeenAt }
`;

export const PAYLOAD_FIELDS = `
  tokens { tokenType accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt }
  session { ${SESSION_FIELDS} }
  user { id email roles createdAt }
`;

export const REGISTER = `mutation Register($input: RegisterInput!) { register(input: $input) { id email roles createdAt } }`;
export const CREATE_SESSION = `mutation Login($input: CreateSessionInput!) { createSession(input: $input) { ${PAYLOAD_FIELDS} } }`;
export const REFRESH_SESSION = `mutation Refresh($input: RefreshSessionInput!) { refreshSession(input: $input) { ${PAYLOAD_FIELDS} } }`;
export const REVOKE_SESSION = `mutation Revoke($id: ID!) { revokeSession(sessionId: $id) { ${SESSION_FIELDS} } }`;
export const REVOKE_ALL = `mutation RevokeAll($input: RevokeAllSessionsInput) { revokeAllSessions(input: $input) }`;
export const LOGOUT = `mutation { logout }`;
export const ME = `query { me { id email roles createdAt } }`;
export const ACTIVE_SESSIONS = `query Active($userId: ID) { activeSessions(userId: $userId) { ${SESSION_FIELDS} } }`;
export const SESSION = `query Session($id: ID!) { session(id: $id) { ${SESSION_FIELDS} } }`;

export const ACTIVITY = `query Activity($filter: SessionActivityFilter, $first: Int, $after: String) {
  sessionActivity(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id sessionId userId type occurredAt ipAddress userAgent details } }
    pageInfo { hasNextPage endCursor }
  }
}`;
export const ALERTS = `query Alerts($unacknowledgedOnly: Boolean, $userId: ID) {
  sessionAlerts(unacknowledgedOnly: $unacknowledgedOnly, userId: $userId) { id userId sessionId type severity message details createdAt acknowledgedAt }
}`;
export const ACKNOWLEDGE = `mutation Ack($id: ID!) { acknowledgeAlert(alertId: $id) { id acknowledgedAt } }`;

export const DEVICE_FIELDS = `id name type model osVersion appVersion trusted trustedAt firstSeenAt lastSeenAt`;
export const DEVICES = `query Devices($userId: ID) { devices(userId: $userId) { ${DEVICE_FIELDS} } }`;
export const TRUST_DEVICE = `mutation Trust($id: ID!) { trustDevice(deviceId: $id) { ${DEVICE_FIELDS} } }`;
export const UNTRUST_DEVICE = `mutation Untrust($id: ID!) { untrustDevice(deviceId: $id) { ${DEVICE_FIELDS} } }`;

export const CHANGE_PASSWORD = `mutation ChangePassword($input: ChangePasswordInput!) { changePassword(input: $input) }`;
export const REAUTHENTICATE = `mutation Reauthenticate($input: ReauthenticateInput!) {
  reauthenticate(input: $input) { tokens { accessToken refreshToken } session { id authenticatedAt current } }
}`;
export const REPORT_ALERT = `mutation Report($id: ID!) { reportAlert(alertId: $id) { id type sessionId acknowledgedAt } }`;
export const RENAME_DEVICE = `mutation Rename($id: ID!, $name: String!) { renameDevice(deviceId: $id, name: $name) { ${DEVICE_FIELDS} } }`;
export const REMOVE_DEVICE = `mutation Remove($id: ID!) { removeDevice(deviceId: $id) }`;
export const USER_FIELDS = `id email roles disabled disabledAt`;
export const DISABLE_USER = `mutation Disable($id: ID!) { disableUser(userId: $id) { ${USER_FIELDS} } }`;
export const ENABLE_USER = `mutation Enable($id: ID!) { enableUser(userId: $id) { ${USER_FIELDS} } }`;
export const SET_USER_ROLES = `mutation SetRoles($id: ID!, $roles: [Role!]!) { setUserRoles(userId: $id, roles: $roles) { ${USER_FIELDS} } }`;
