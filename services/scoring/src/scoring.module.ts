// The scoring service's own providers and controllers.
import { Module } from '@nestjs/common';

@Module({})
export class ScoringModule {}
