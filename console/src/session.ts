// The API token lives in sessionStorage only: gone when the tab closes or the user signs
// out; never in a URL, a cookie or localStorage.

const KEY = "wfapi.console.token";

export function token(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null; // storage disabled: the user signs in again
  }
}

export function signIn(value: string): void {
  sessionStorage.setItem(KEY, value);
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}
