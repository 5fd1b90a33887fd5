import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule } from '@nestjs/graphql';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import type { AppConfig } from './config/app-config.js';
import type { Clock } from './common/clock.js';
import { CoreModule } from './core.module.js';
import { buildDataSourceOptions, type ConnectionTarget } from './database/data-source-options.js';
import { runMigrations } from './database/run-migrations.js';
import { formatGraphQLError } from './graphql/graphql-error.formatter.js';
import { HttpErrorFilter } from './graphql/http-error.filter.js';
import { createInputValidationPipe } from './graphql/input-validation.js';
import { queryLimitProtections } from './graphql/query-limits.js';
import type { GraphQLRequestContext } from './graphql/request-context.js';
import { HealthModule } from './health/health.module.js';
import { EventsModule } from './events/events.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { RequestMetrics } from './metrics/request-metrics.js';
import { AccountModule } from './modules/account/account.module.js';
import { ActivityModule } from './modules/activity/activity.module.js';
import { AlertModule } from './modules/alert/alert.module.js';
import { DeviceModule } from './modules/device/device.module.js';
import { DeviceTrustModule } from './modules/device/device-trust.module.js';
import { GRAPHQL_WEBSOCKET_SETUP, RealtimeModule, type GraphQLWebSocketSetup } from './modules/realtime/realtime.module.js';
import { SessionModule } from './modules/session/session.module.js';
import { TokenModule } from './modules/token/token.module.js';
import { TokenOAuthModule } from './modules/token/token-oauth.module.js';
import { UserModule } from './modules/user/user.module.js';
import type { PasswordHashCost } from './kernel/password-hash-cost.js';

export interface AppModuleOptions {
  readonly config: AppConfig;
  readonly database: ConnectionTarget;
  readonly clock: Clock;
  readonly dataEncryptionKey: Buffer;
  readonly logger: Logger;
  readonly passwordHashCost: PasswordHashCost;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    const { config } = options;
    const development = config.nodeEnv !== 'production';
    const limits = queryLimitProtections();
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, options.clock, options.dataEncryptionKey, options.logger, options.passwordHashCost),
        TypeOrmModule.forRootAsync({
          useFactory: () => buildDataSourceOptions(options.database),
          // Migrations run before any module initialises, so the signing keys and secrets find their tables.
          dataSourceFactory: async (dataSourceOptions) => {
            const dataSource = await new DataSource(dataSourceOptions!).initialize();
            await runMigrations(dataSource, { exclusive: options.database.poolSize > 1 });
            return dataSource;
          },
        }),
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          imports: [RealtimeModule, MetricsModule],
          inject: [GRAPHQL_WEBSOCKET_SETUP, RequestMetrics],
          useFactory: (webSocket: GraphQLWebSocketSetup, requestMetrics: RequestMetrics): ApolloDriverConfig => ({
            path: '/graphql',
            autoSchemaFile: true,
            sortSchema: true,
            buildSchemaOptions: { dateScalarMode: 'isoDate' },
            graphiql: false,
            introspection: development,
            plugins: [
              requestMetrics.graphqlPlugin(),
              ...limits.plugins,
              ...(development ? [ApolloServerPluginLandingPageLocalDefault({ embed: true })] : []),
            ],
            validationRules: limits.validationRules,
            parseOptions: limits.parseOptions,
            allowBatchedHttpRequests: false,
            includeStacktraceInErrorResponses: false,
            formatError: formatGraphQLError,
            subscriptions: { 'graphql-ws': webSocket.options },
            context: (http: { req?: GraphQLRequestContext['req']; extra?: Parameters<GraphQLWebSocketSetup['context']>[0] }) =>
              http.req ? { req: http.req } : webSocket.context(http.extra!),
          }),
        }),
        EventsModule,
        MetricsModule,
        HealthModule,
        UserModule,
        TokenModule,
        DeviceModule,
        SessionModule,
        ActivityModule,
        AlertModule,
        RealtimeModule,
        DeviceTrustModule,
        TokenOAuthModule,
        AccountModule,
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createInputValidationPipe },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
      ],
    };
  }
}
