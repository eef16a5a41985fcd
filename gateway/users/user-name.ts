/**
 * A user name mai can use everywhere a name goes: certificate principal, `alice+SESSION@`
 * login, container label, store key. Same rule as `auth.users[].name` and `mai ca sign --user`.
 */
export const USER_NAME = /^[a-z_][a-z0-9_.-]{0,31}$/;
