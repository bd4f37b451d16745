// In-process wake-up calls: after a batch commits new alerts, the Kafka relay, the webhook
// dispatcher and the live streams are told at once instead of waiting for their next poll. Only a
// hint — each of them also polls, which is what makes them correct across replicas and restarts.
import { Injectable } from '@nestjs/common';
import type { AlertRecord } from './alert.repository';

type Listener = (alerts: readonly AlertRecord[]) => void;

@Injectable()
export class AlertSignals {
  private readonly listeners = new Set<Listener>();

  onRaised(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  raised(alerts: readonly AlertRecord[]): void {
    if (alerts.length === 0) return;
    for (const listener of this.listeners) listener(alerts);
  }
}
