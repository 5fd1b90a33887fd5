/** The contract's operations as the SDK sends them. */

export const DEVICE_FIELDS = `id name type model osVersion appVersion trusted trustedAt firstSeenAt lastSeenAt`;

export const SESSION_FIELDS = `id userId current status endReason createdAt authenticatedAt lastActivityAt idleExpiresAt expiresAt endedAt ipAddress userAgent
  device { ${DEVICE_FIELDS} }`;

export const ALERT_FIELDS = `id userId sessionId type severity message details createdAt acknowledgedAt`;

export const USER_FIELDS = `id email roles createdAt disabled disabledAt`;

const PAYLOAD_FIELDS = `tokens { tokenType accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt }
  session { ${SESSION_FIELDS} }
  user { ${USER_FIELDS} }`;

export const REGISTER = `mutation TesseraRegister($input: RegisterInput!) { register(input: $input) { ${USER_FIELDS} } }`;
export const CREATE_SESSION = `mutation TesseraLogin($input: CreateSessionInput!) { createSession(input: $input) { ${PAYLOAD_FIELDS} } }`;
export const REFRESH_SESSION = `mutation TesseraRefresh($input: RefreshSessionInput!) { refreshSession(input: $input) { ${PAYLOAD_FIELDS} } }`;
export const LOGOUT = `mutation TesseraLogout { logout }`;
export const ME = `query TesseraMe { me { ${USER_FIELDS} } }`;
export const ACTIVE_SESSIONS = `query TesseraActiveSessions { activeSessions { ${SESSION_FIELDS} } }`;
export const DEVICES = `query TesseraDevices { devices { ${DEVICE_FIELDS} } }`;
export const ALERTS = `query TesseraAlerts($unacknowledgedOnly: Boolean) { sessionAlerts(unacknowledgedOnly: $unacknowledgedOnly) { ${ALERT_FIELDS} } }`;
export const ACKNOWLEDGE_ALERT = `mutation TesseraAcknowledgeAlert($alertId: ID!) { acknowledgeAlert(alertId: $alertId) { ${ALERT_FIELDS} } }`;
export const REVOKE_SESSION = `mutation TesseraRevokeSession($sessionId: ID!) { revokeSession(sessionId: $sessionId) { ${SESSION_FIELDS} } }`;
export const REVOKE_ALL_SESSIONS = `mutation TesseraRevokeAllSessions($input: RevokeAllSessionsInput) { revokeAllSessions(input: $input) }`;
export const TRUST_DEVICE = `mutation TesseraTrustDevice($deviceId: ID!) { trustDevice(deviceId: $deviceId) { ${DEVICE_FIELDS} } }`;
export const UNTRUST_DEVICE = `mutation TesseraUntrustDevice($deviceId: ID!) { untrustDevice(deviceId: $deviceId) { ${DEVICE_FIELDS} } }`;
export const RENAME_DEVICE = `mutation TesseraRenameDevice($deviceId: ID!, $name: String!) {
  renameDevice(deviceId: $deviceId, name: $name) { ${DEVICE_FIELDS} }
}`;
export const REMOVE_DEVICE = `mutation TesseraRemoveDevice($deviceId: ID!) { removeDevice(deviceId: $deviceId) }`;
export const REPORT_ALERT = `mutation TesseraReportAlert($alertId: ID!) { reportAlert(alertId: $alertId) { ${ALERT_FIELDS} } }`;
export const CHANGE_PASSWORD = `mutation TesseraChangePassword($input: ChangePasswordInput!) { changePassword(input: $input) }`;
export const REAUTHENTICATE = `mutation TesseraReauthenticate($input: ReauthenticateInput!) { reauthenticate(input: $input) { ${PAYLOAD_FIELDS} } }`;
export const DISABLE_USER = `mutation TesseraDisableUser($userId: ID!) { disableUser(userId: $userId) { ${USER_FIELDS} } }`;
export const ENABLE_USER = `mutation TesseraEnableUser($userId: ID!) { enableUser(userId: $userId) { ${USER_FIELDS} } }`;
export const SET_USER_ROLES = `mutation TesseraSetUserRoles($userId: ID!, $roles: [Role!]!) {
  setUserRoles(userId: $userId, roles: $roles) { ${USER_FIELDS} }
}`;

export const SESSION_EVENTS = `subscription TesseraSessionEvents {
  sessionEvents {
    type userId sessionId version occurredAt
    session { ${SESSION_FIELDS} }
    device { ${DEVICE_FIELDS} }
    alert { ${ALERT_FIELDS} }
  }
}`;
